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
 * Builds the adapter for a provider type. Adding a provider type means one folder under
 * {@code provider/} plus one case here and in {@code ConfigLoader.PROVIDER_TYPES}.
 */
public final class ProviderAdapters implements dev.imagerouter.provider.ProviderFactory {

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
        Object adapter = switch (config.type()) {
            case "leonardo" -> LeonardoSettings.read(node);
            case "openai" -> OpenAiSettings.read(node);
            default -> {
                node.problem("type", config.type(), "a known provider type");
                yield null;
            }
        };
        return new ProviderSettings(adapter, CreditSettings.read(node, config.type()), BudgetSettings.read(node, config.type()),
                ModelCheckSettings.read(node, config.type()));
    }

    /** Builds an adapter; {@code config} must have passed validation. */
    @Override
    public ImageProvider create(ProviderConfig config) {
        return switch (config.type()) {
            case "leonardo" -> new LeonardoProvider(config, config.settings().adapter(LeonardoSettings.class), context, webhooks, clock);
            case "openai" -> new OpenAiProvider(config, config.settings().adapter(OpenAiSettings.class), context, clock);
            default -> throw new IllegalArgumentException("unknown provider type " + config.type());
        };
    }
}
