package dev.imagerouter.routing;

import java.util.Map;

/**
 * Adds fields to a provider's entry in {@code GET /admin/chain} (for example its credit balance).
 * Beans; fast, thread-safe; values must be JSON-friendly (strings, numbers, booleans, maps, lists)
 * and never secrets.
 */
public interface ProviderStatusContributor {

    Map<String, Object> status(ProviderHandle provider);
}
