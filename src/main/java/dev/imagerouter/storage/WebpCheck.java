package dev.imagerouter.storage;

import java.util.Optional;

/**
 * A structural check of a still WebP without decoding it (RFC 9649, the WebP container and the
 * VP8/VP8L bitstream headers): the RIFF header with a size that matches the file, every chunk
 * inside it, an image chunk (VP8 or VP8L), and the canvas size and alpha flag from the first
 * chunk. WebP carries no checksums, so this catches truncation and foreign data, not bit flips
 * inside the compressed image. Animated WebP is refused (it goes through a decode).
 */
final class WebpCheck {

    private static final int RIFF = 0x52494646; // "RIFF"
    private static final int WEBP = 0x57454250; // "WEBP"
    private static final int VP8 = 0x56503820;  // "VP8 " (lossy)
    private static final int VP8L = 0x5650384c; // "VP8L" (lossless)
    private static final int VP8X = 0x56503858; // "VP8X" (extended: alpha, animation, metadata)

    /**
     * What the headers say.
     *
     * @param width  canvas width in pixels
     * @param height canvas height in pixels
     * @param alpha  whether the file declares an alpha channel (VP8X flag or VP8L bit); lossy VP8 alone has none
     */
    record Header(int width, int height, boolean alpha) {
    }

    private WebpCheck() {
    }

    /** Whether the bytes start like a WebP file: {@code RIFF....WEBP}. */
    static boolean looksLikeWebp(byte[] bytes) {
        return bytes.length >= 12 && readBigEndian(bytes, 0) == RIFF && readBigEndian(bytes, 8) == WEBP;
    }

    /** The header of an intact still WebP, or empty when the structure is broken or the file is animated. */
    static Optional<Header> header(byte[] bytes) {
        if (!looksLikeWebp(bytes) || bytes.length < 12 + 8 + 5
                || readLittleEndian(bytes, 4, 4) != bytes.length - 8L) {
            return Optional.empty();
        }
        Header header = null;
        boolean imageData = false;
        int pos = 12;
        while (pos < bytes.length) {
            if (pos + 8 > bytes.length) {
                return Optional.empty();
            }
            int type = readBigEndian(bytes, pos);
            long size = readLittleEndian(bytes, pos + 4, 4);
            int data = pos + 8;
            long next = data + size + (size & 1); // chunks are padded to an even size
            if (next > bytes.length) {
                return Optional.empty();
            }
            if (pos == 12) {
                header = firstChunk(bytes, type, data, size);
                if (header == null) {
                    return Optional.empty();
                }
            }
            imageData |= type == VP8 || type == VP8L;
            pos = (int) next;
        }
        return imageData ? Optional.of(header) : Optional.empty();
    }

    /** Whether {@code bytes} is an intact still WebP of exactly {@code width x height}. */
    static boolean isIntact(byte[] bytes, int width, int height) {
        return header(bytes).filter(h -> h.width() == width && h.height() == height).isPresent();
    }

    private static Header firstChunk(byte[] b, int type, int data, long size) {
        if (type == VP8 && size >= 10) {
            // frame tag (3 bytes, bit 0 clear on a key frame), start code 9d 01 2a, 14-bit sizes
            if ((b[data] & 1) != 0 || (b[data + 3] & 0xff) != 0x9d || (b[data + 4] & 0xff) != 0x01
                    || (b[data + 5] & 0xff) != 0x2a) {
                return null;
            }
            int width = (int) readLittleEndian(b, data + 6, 2) & 0x3fff;
            int height = (int) readLittleEndian(b, data + 8, 2) & 0x3fff;
            return width > 0 && height > 0 ? new Header(width, height, false) : null;
        }
        if (type == VP8L && size >= 5) {
            // signature 0x2f, then 14 bits width-1, 14 bits height-1, 1 bit alpha_is_used, 3 bits version (0)
            long bits = readLittleEndian(b, data + 1, 4);
            if ((b[data] & 0xff) != 0x2f || (bits >>> 29) != 0) {
                return null;
            }
            return new Header((int) (bits & 0x3fff) + 1, (int) ((bits >>> 14) & 0x3fff) + 1, ((bits >>> 28) & 1) == 1);
        }
        if (type == VP8X && size >= 10) {
            // flags (alpha 0x10, animation 0x02), 3 reserved bytes, 24 bits canvas width-1, 24 bits height-1
            int flags = b[data] & 0xff;
            if ((flags & 0x02) != 0) {
                return null;
            }
            return new Header((int) readLittleEndian(b, data + 4, 3) + 1, (int) readLittleEndian(b, data + 7, 3) + 1,
                    (flags & 0x10) != 0);
        }
        return null;
    }

    private static int readBigEndian(byte[] b, int i) {
        return ((b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }

    private static long readLittleEndian(byte[] b, int i, int n) {
        long value = 0;
        for (int k = n - 1; k >= 0; k--) {
            value = (value << 8) | (b[i + k] & 0xff);
        }
        return value;
    }
}
