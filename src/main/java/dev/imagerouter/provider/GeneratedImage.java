package dev.imagerouter.provider;

/**
 * One image as a provider delivered it, already fetched or decoded.
 *
 * @param bytes       the encoded image
 * @param contentType MIME type as delivered, e.g. {@code image/png}
 */
public record GeneratedImage(byte[] bytes, String contentType) {
}
