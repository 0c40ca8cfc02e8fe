package dev.imagerouter.provider.leonardov2;

import dev.imagerouter.configtree.ConfigNode;
import dev.imagerouter.provider.leonardo.LeonardoClient;
import dev.imagerouter.provider.leonardo.LeonardoJobSettings;

import java.net.URI;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The settings of one {@code leonardo-v2} provider file beside the common ones ({@code model} is the v2 slug, e.g.
 * {@code flux-pro-2.0}; {@code base-url} is Leonardo's v1 base URL, whose {@code /v1} becomes {@code /v2} for the
 * create and the models list):
 * <pre>
 * catalog-name: FLUX.2 Pro   # optional: the model's name in GET /api/rest/v2/models (entries carry a UUID and a
 * catalog-id: 1dd5...        #   name, not the slug; UPDATES-2026.md §1.2). A file naming one is skipped
 *                            #   (MODEL_UNAVAILABLE) while a list that was read lacks it; either one matching is enough
 * parameters: ...            # ModelParameters: how a request maps to this model's parameters
 * poll: / webhook: / job-max-age:   # LeonardoJobSettings, as for type leonardo
 * </pre>
 *
 * @param jobs        how accepted jobs are tracked (polls, callbacks, job-max-age)
 * @param parameters  the request-to-parameters mapping
 * @param catalogId   the model's {@code id} in the models list, or empty
 * @param catalogName the model's {@code name} in the models list, or empty
 */
public record LeonardoV2Settings(LeonardoJobSettings jobs, ModelParameters parameters, Optional<String> catalogId,
                                 Optional<String> catalogName) {

    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    /** Reads and checks the settings; problems go to the node's error list. */
    public static LeonardoV2Settings read(ConfigNode node) {
        String baseUrl = node.string("base-url", "");
        String path;
        try {
            path = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl).getRawPath();
        } catch (IllegalArgumentException e) {
            path = null; // the loader reports a URL that does not parse
        }
        if (path != null && LeonardoClient.v2BasePath(path) == null) {
            node.problem("base-url", baseUrl, "Leonardo's v1 base URL, ending in /v1 (polls and GET /me use it; the v2 "
                    + "create and models list are beside it, under /v2), e.g. https://cloud.leonardo.ai/api/rest/v1");
        }
        Optional<String> catalogId = node.optionalString("catalog-id");
        if (catalogId.isPresent() && !UUID.matcher(catalogId.get()).matches()) {
            node.problem("catalog-id", catalogId.get(), "the model's UUID in GET /api/rest/v2/models");
            catalogId = Optional.empty();
        }
        Optional<String> catalogName = node.optionalString("catalog-name");
        return new LeonardoV2Settings(LeonardoJobSettings.read(node), ModelParameters.read(node), catalogId, catalogName);
    }

    /** Whether the file names its entry in the models list. */
    public boolean listed() {
        return catalogId.isPresent() || catalogName.isPresent();
    }
}
