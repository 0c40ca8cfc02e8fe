package dev.imagerouter.provider;

import java.util.Objects;

/**
 * A provider file's type-specific and money settings, parsed and checked once when the configuration
 * is loaded (a reload parses anew): nothing re-reads the file's tree afterwards.
 *
 * @param adapter    the adapter's own settings (e.g. {@code LeonardoSettings}, {@code OpenAiSettings}), or null before parsing
 * @param credits    the credit-balance check and thresholds ({@code credits:})
 * @param budget     the daily spend ceilings and expected cost ({@code daily-budget-*}, {@code expected-cost-per-image})
 * @param modelCheck the model lookup ({@code model-check:})
 */
public record ProviderSettings(Object adapter, CreditSettings credits, BudgetSettings budget, ModelCheckSettings modelCheck) {

    /** No settings parsed (a loader without a provider-type registry, in tests of other sections). */
    public static final ProviderSettings NONE = new ProviderSettings(null, null, null, null);

    /**
     * The adapter's settings as {@code type}.
     *
     * @throws IllegalStateException when they are of another type or were not parsed
     */
    public <T> T adapter(Class<T> type) {
        Objects.requireNonNull(type, "type");
        if (!type.isInstance(adapter)) {
            throw new IllegalStateException("provider settings are " + (adapter == null ? "not parsed" : adapter.getClass().getSimpleName())
                    + ", not " + type.getSimpleName());
        }
        return type.cast(adapter);
    }
}
