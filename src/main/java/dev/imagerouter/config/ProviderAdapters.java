package dev.imagerouter.config;

import dev.imagerouter.provider.ProviderSettings;

import dev.imagerouter.provider.BudgetSettings;
import dev.imagerouter.provider.CreditSettings;
import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.provider.ModelCheckSettings;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.provider.ProviderContext;

import dev.imagerouter.configtree.ConfigNode;
import dev.imagerouter.provider.leonardo.LeonardoProvider;
import dev.imagerouter.provider.leonardo.LeonardoSettings;
import dev.imagerouter.provider.leonardo.LeonardoWebhooks;
import dev.imagerouter.provider.openai.OpenAiProvider;
import dev.imagerouter.provider.openai.OpenAiSettings;

import java.time.Clock;

/**
 * The registry of provider types: for each, how its file's own settings are read, how its adapter is
 * made and which emulator stands in for it in sandbox mode. Adding a provider type means one package
 * under {@code provider/} and one entry in {@link #TYPES}.
 */
public final class ProviderAdapters implements dev.imagerouter.provider.ProviderFactory {

    /** Makes an adapter from a checked configuration, its parsed settings and the shared collaborators. */
    @FunctionalInterface
    interface AdapterMaker {
        ImageProvider make(ProviderConfig config, Object settings, ProviderAdapters shared);
    }

    /**
     * One provider type.
     *
     * @param name            the {@code type:} of its provider files
     * @param settingsReader  reads and checks the file's type-specific settings (problems go to the node)
     * @param maker           builds the adapter
     * @param sandboxBasePath the emulator's base path on this server, used in sandbox mode
     * @param sandboxKey      the key the emulator accepts
     */
    record ProviderType(String name, java.util.function.Function<ConfigNode, Object> settingsReader, AdapterMaker maker,
                        String sandboxBasePath, String sandboxKey) {
    }

    /** Every provider type the router knows. */
    static final java.util.List<ProviderType> TYPES = java.util.List.of(
            new ProviderType("leonardo", LeonardoSettings::read,
                    (c, s, shared) -> new LeonardoProvider(c, (LeonardoSettings) s, shared.context, shared.webhooks, shared.clock),
                    dev.imagerouter.sandbox.SandboxKeys.LEONARDO_BASE_PATH, dev.imagerouter.sandbox.SandboxKeys.LEONARDO_API_KEY),
            new ProviderType(dev.imagerouter.provider.leonardov2.LeonardoV2Provider.TYPE,
                    dev.imagerouter.provider.leonardov2.LeonardoV2Settings::read,
                    (c, s, shared) -> new dev.imagerouter.provider.leonardov2.LeonardoV2Provider(c,
                            (dev.imagerouter.provider.leonardov2.LeonardoV2Settings) s, shared.context, shared.webhooks, shared.clock),
                    // the same emulator and key: the v2 create and models list are beside the v1 base path
                    dev.imagerouter.sandbox.SandboxKeys.LEONARDO_BASE_PATH, dev.imagerouter.sandbox.SandboxKeys.LEONARDO_API_KEY),
            new ProviderType("openai", OpenAiSettings::read,
                    (c, s, shared) -> new OpenAiProvider(c, (OpenAiSettings) s, shared.context, shared.clock),
                    dev.imagerouter.sandbox.SandboxKeys.OPENAI_BASE_PATH, dev.imagerouter.sandbox.SandboxKeys.OPENAI_API_KEY));

    /** The names of the known types, in registration order. */
    static java.util.List<String> typeNames() {
        return TYPES.stream().map(ProviderType::name).toList();
    }

    /** The registered type of that name. */
    static java.util.Optional<ProviderType> type(String name) {
        return TYPES.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    private final ProviderContext context;
    private final LeonardoWebhooks webhooks;
    private final Clock clock;

    public ProviderAdapters(ProviderContext context, LeonardoWebhooks webhooks, Clock clock) {
        this.context = context;
        this.webhooks = webhooks;
        this.clock = clock;
    }

    /**
     * Parses and checks the type-specific and money settings of a provider file, once, when the
     * configuration is loaded; problems go to the file's error list (reported with every other one).
     */
    public static ProviderSettings validate(ProviderConfig config, ConfigNode node) {
        Object adapter = type(config.type()).map(t -> t.settingsReader().apply(node)).orElseGet(() -> {
            node.problem("type", config.type(), "one of " + typeNames());
            return null;
        });
        return new ProviderSettings(adapter, CreditSettings.read(node, config.type()), BudgetSettings.read(node, config.type()),
                ModelCheckSettings.read(node, config.type()));
    }

    /** Builds an adapter; {@code config} must have passed validation. */
    @Override
    public ImageProvider create(ProviderConfig config) {
        ProviderType type = type(config.type())
                .orElseThrow(() -> new IllegalArgumentException("unknown provider type " + config.type()));
        return type.maker().make(config, config.settings().adapter(), this);
    }
}
