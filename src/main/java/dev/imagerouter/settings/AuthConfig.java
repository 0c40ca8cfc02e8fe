package dev.imagerouter.settings;

import dev.imagerouter.configtree.ConfigNode;
import dev.imagerouter.vocabulary.Secret;


import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Inbound credentials and per-client limits ({@code router.auth.*}, plus {@code router.webhooks.leonardo-key}).
 *
 * @param clients            client keys; empty means no client key is configured (open in sandbox mode,
 *                           every client request refused otherwise)
 * @param adminKey           the key of {@code /admin/**}; empty: admin is open in sandbox mode, refused otherwise
 * @param protectMetrics     whether {@code /prometheus} needs a key (a client key or the admin key)
 * @param protectFiles       whether {@code /v1/images/files/**} needs a client key (default false: the URLs are
 *                           unguessable content hashes meant to be embedded in pages)
 * @param limits             per-client limits
 * @param leonardoWebhookKey the bearer key Leonardo's callbacks must carry; in sandbox mode with none
 *                           configured, the emulator's webhook key; empty: every callback is refused
 */
public record AuthConfig(List<ClientKey> clients, Optional<Secret> adminKey, boolean protectMetrics, boolean protectFiles,
                         Limits limits, Optional<Secret> leonardoWebhookKey) {

    /** Shortest accepted key, in characters: a guessable key would defeat the point. */
    public static final int MIN_KEY_LENGTH = 16;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public AuthConfig {
        clients = List.copyOf(clients);
    }

    /** One client: its name (cache namespace, logs) and key. */
    public record ClientKey(String name, Secret key) {
    }

    /**
     * @param requestsPerMinute requests one client may send per minute (its window starts at its first request); 0 = no limit
     * @param imagesPerDay      images one client may ask for per UTC day (the sum of {@code n}); 0 = no limit
     */
    public record Limits(int requestsPerMinute, int imagesPerDay) {
    }

    /**
     * The name of the client whose key this is. Every configured key is compared, in constant
     * time, whether or not an earlier one matched, so timing says nothing about which key matched.
     */
    public Optional<String> authenticate(String presentedKey) {
        if (presentedKey == null) {
            return Optional.empty();
        }
        byte[] presented = Secret.sha256(presentedKey);
        String found = null;
        for (ClientKey client : clients) {
            if (client.key().matchesDigest(presented) && found == null) {
                found = client.name();
            }
        }
        return Optional.ofNullable(found);
    }

    /** Reads {@code router.auth.*} and {@code router.webhooks.leonardo-key}; problems never show a key. */
    /**
     * Reads {@code router.auth} and {@code router.webhooks}.
     *
     * @param sandboxWebhookKey the key the Leonardo emulator signs its callbacks with, used in sandbox mode
     *                          when no webhook key is configured
     */
    public static AuthConfig read(ConfigNode router, boolean sandbox, String sandboxWebhookKey) {
        ConfigNode auth = router.child("auth");
        List<String> entries = auth.stringList("api-keys", List.of());
        List<ClientKey> clients = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            String entry = entries.get(i);
            int colon = entry.indexOf(':');
            String name = colon > 0 ? entry.substring(0, colon).trim() : "client-" + (i + 1);
            String key = colon > 0 ? entry.substring(colon + 1).trim() : entry.trim();
            String where = "entry " + (i + 1) + " (" + (NAME.matcher(name).matches() ? name : "?") + ":****)";
            if (!NAME.matcher(name).matches()) {
                auth.problem("api-keys", where, "a client name of letters, digits, '.', '_' or '-' before the ':'");
            } else if (!names.add(name)) {
                auth.problem("api-keys", where, "each client name at most once");
            } else if (key.length() < MIN_KEY_LENGTH || key.chars().anyMatch(Character::isWhitespace)) {
                auth.problem("api-keys", where, "a key of at least " + MIN_KEY_LENGTH + " characters without spaces");
            } else if (clients.stream().anyMatch(c -> c.key().matches(key))) {
                auth.problem("api-keys", where, "each key at most once");
            } else {
                clients.add(new ClientKey(name, Secret.of(key)));
            }
            shown.add(name + ":****");
        }
        auth.redact("api-keys", shown);
        Optional<Secret> adminKey = secret(auth, "admin-key");
        if (adminKey.isPresent() && clients.stream().anyMatch(c -> c.key().equals(adminKey.get()))) {
            auth.problem("admin-key", "****", "a key different from every client key");
        }
        ConfigNode limits = auth.child("limits");
        Limits perClient = new Limits(limits.integer("requests-per-minute", 0, 0, 1_000_000),
                limits.integer("images-per-day", 0, 0, 100_000_000));
        Optional<Secret> webhookKey = secret(router.child("webhooks"), "leonardo-key");
        if (webhookKey.isEmpty() && sandbox) {
            webhookKey = Optional.of(Secret.of(sandboxWebhookKey));
        }
        return new AuthConfig(clients, adminKey, auth.bool("protect-metrics", false), auth.bool("protect-files", false),
                perClient, webhookKey);
    }

    private static Optional<Secret> secret(ConfigNode node, String key) {
        Optional<String> value = node.optionalString(key);
        node.redact(key, value.isPresent() ? "****" : "");
        if (value.isPresent() && (value.get().length() < MIN_KEY_LENGTH || value.get().chars().anyMatch(Character::isWhitespace))) {
            node.problem(key, "****", "a key of at least " + MIN_KEY_LENGTH + " characters without spaces");
            return Optional.empty();
        }
        return value.map(Secret::of);
    }

    @Override
    public String toString() {
        return "AuthConfig[clients=" + clients.stream().map(ClientKey::name).toList() + ", adminKey=" + adminKey.isPresent()
                + ", protectMetrics=" + protectMetrics + ", protectFiles=" + protectFiles + ", limits=" + limits
                + ", leonardoWebhookKey=" + leonardoWebhookKey.isPresent() + "]";
    }
}
