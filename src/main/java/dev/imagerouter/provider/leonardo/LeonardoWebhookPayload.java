package dev.imagerouter.provider.leonardo;

import io.micronaut.json.tree.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The fields the router uses of Leonardo's completion callback (shared/specs/leonardo/WIRE.md §5.2):
 * <pre>
 * {"type":"image_generation.complete","object":"generation","timestamp":&lt;epoch ms&gt;,"api_version":"v1",
 *  "data":{"object":{"id","status","modelId","seed":"&lt;string&gt;","imageWidth","imageHeight",
 *                    "images":[{"id","url","nsfw",...}], ...}}}
 * </pre>
 * It is the raw database row, unlike {@code GET /generations/{id}}: images under {@code data.object.images}
 * (not {@code generated_images}), {@code seed} a string. Everything else (including {@code data.object.apiKey},
 * which carries credentials) is ignored and never kept.
 *
 * @param type         event type; {@code image_generation.complete} is the only documented one
 * @param timestamp    epoch milliseconds, when present
 * @param generationId {@code data.object.id}
 * @param status       {@code data.object.status}; {@code COMPLETE} when absent on a completion event
 * @param generation   the callback as the poll answer's shape, for {@link LeonardoWebhooks#deliver}
 */
public record LeonardoWebhookPayload(String type, Optional<Long> timestamp, String generationId, String status,
                                     LeonardoWire.Generation generation) {

    /** The only event type WIRE §5.1 documents. */
    public static final String COMPLETE_EVENT = "image_generation.complete";

    /**
     * Reads a callback body parsed as a JSON tree.
     *
     * @return empty when it is not an object with a non-blank {@code data.object.id}
     */
    public static Optional<LeonardoWebhookPayload> parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            return Optional.empty();
        }
        JsonNode data = root.get("data");
        JsonNode object = data != null && data.isObject() ? data.get("object") : null;
        if (object == null || !object.isObject()) {
            return Optional.empty();
        }
        String id = text(object, "id");
        if (id == null || id.isBlank() || id.length() > 100) {
            return Optional.empty();
        }
        String type = text(root, "type");
        String status = text(object, "status");
        if (status == null && COMPLETE_EVENT.equals(type)) {
            status = "COMPLETE";
        }
        List<LeonardoWire.Image> images = new ArrayList<>();
        JsonNode list = object.get("images");
        if (list != null && list.isArray()) {
            for (JsonNode image : list.values()) {
                if (image.isObject()) {
                    JsonNode nsfw = image.get("nsfw");
                    images.add(new LeonardoWire.Image(text(image, "id"), text(image, "url"),
                            nsfw != null && nsfw.isBoolean() ? nsfw.getBooleanValue() : null));
                }
            }
        }
        LeonardoWire.Generation generation = new LeonardoWire.Generation(id, status, List.copyOf(images),
                text(object, "modelId"), number(object, "seed"), integer(object, "imageWidth"), integer(object, "imageHeight"));
        return Optional.of(new LeonardoWebhookPayload(type == null ? "" : type, Optional.ofNullable(number(root, "timestamp")),
                id, status == null ? "" : status, generation));
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isString() ? v.getStringValue() : null;
    }

    /** A whole number sent as a number or as a string ({@code seed} is a string here, WIRE §5.2). */
    private static Long number(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null) {
            return null;
        }
        String s = v.isString() ? v.getStringValue().trim() : v.isNumber() ? v.getNumberValue().toString() : null;
        if (s == null || s.isEmpty() || s.length() > 20) {
            return null;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Integer integer(JsonNode node, String field) {
        Long v = number(node, field);
        return v != null && v >= 0 && v <= Integer.MAX_VALUE ? v.intValue() : null;
    }
}
