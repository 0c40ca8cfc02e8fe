package dev.imagerouter.config;

import dev.imagerouter.provider.BudgetSettings;
import dev.imagerouter.provider.CreditSettings;
import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.provider.ModelCheckSettings;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.provider.ProviderContext;

import dev.imagerouter.configtree.ConfigErrors;
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

    /** Checks the type-specific settings of a provider file; problems go to its error list. */
    public static void validate(ProviderConfig config) {
        switch (config.type()) {
            case "leonardo" -> LeonardoSettings.read(config.settings());
            case "openai" -> OpenAiSettings.read(config.settings());
            default -> config.settings().problem("type", config.type(), "a known provider type");
        }
        CreditSettings.read(config.settings(), config.type());
        BudgetSettings.read(config.settings(), config.type());
        ModelCheckSettings.read(config.settings(), config.type());
    }

    /** Builds an adapter; {@code config} must have passed validation. */
    @Override
    public ImageProvider create(ProviderConfig config) {
        ConfigErrors errors = config.settings().errors();
        ImageProvider provider = switch (config.type()) {
            case "leonardo" -> new LeonardoProvider(config, LeonardoSettings.read(config.settings()), context, webhooks, clock);
            case "openai" -> new OpenAiProvider(config, OpenAiSettings.read(config.settings()), context, clock);
            default -> throw new IllegalArgumentException("unknown provider type " + config.type());
        };
        errors.throwIfAny();
        return provider;
    }
}
