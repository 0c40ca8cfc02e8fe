package dev.imagerouter.vocabulary;

/**
 * One image as a provider delivered it (already fetched or decoded), or as the router normalised it.
 *
 * @param bytes       the encoded image
 * @param contentType MIME type, e.g. {@code image/png}
 * @param normalised  true when the router cropped, resized or re-encoded it to the requested size/format
 */
public record GeneratedImage(byte[] bytes, String contentType, boolean normalised) {

    /** An image as the provider delivered it. */
    public GeneratedImage(byte[] bytes, String contentType) {
        this(bytes, contentType, false);
    }
}
