package dev.imagerouter.storage;

import java.util.zip.CRC32;

/**
 * A structural check of a PNG without decoding its pixels (PNG spec, ISO/IEC 15948 §5): the
 * signature, an IHDR first with the expected size, every chunk's CRC-32 correct, and IEND last.
 * Catches truncated and corrupted transfers at the cost of one CRC pass (far cheaper than a full
 * decode), so an image that already has the requested size and format can be stored as it is.
 */
final class PngCheck {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int IHDR = 0x49484452;
    private static final int IEND = 0x49454e44;
    private static final int IDAT = 0x49444154;
    private static final int TRNS = 0x74524e53;

    private PngCheck() {
    }

    /** Whether {@code bytes} is an intact PNG of exactly {@code width x height}. */
    static boolean isIntact(byte[] bytes, int width, int height) {
        if (bytes.length < SIGNATURE.length + 12 + 13 + 12) {
            return false;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (bytes[i] != SIGNATURE[i]) {
                return false;
            }
        }
        int pos = SIGNATURE.length;
        boolean first = true;
        CRC32 crc = new CRC32();
        while (pos + 12 <= bytes.length) {
            long length = readInt(bytes, pos) & 0xffffffffL;
            int type = readInt(bytes, pos + 4);
            if (length > bytes.length - pos - 12L) {
                return false;
            }
            int dataStart = pos + 8;
            int end = dataStart + (int) length;
            crc.reset();
            crc.update(bytes, pos + 4, (int) length + 4);
            if ((int) crc.getValue() != readInt(bytes, end)) {
                return false;
            }
            if (first) {
                if (type != IHDR || length != 13 || readInt(bytes, dataStart) != width || readInt(bytes, dataStart + 4) != height) {
                    return false;
                }
                first = false;
            }
            pos = end + 4;
            if (type == IEND) {
                return pos == bytes.length;
            }
        }
        return false;
    }

    /**
     * Whether a PNG that {@link #isIntact} accepted can hold transparency: colour type 4 or 6
     * (grey or RGB with alpha), or a {@code tRNS} chunk before the image data. Reads headers only,
     * so an alpha channel whose every pixel is opaque still counts.
     */
    static boolean hasAlpha(byte[] bytes) {
        int colourType = bytes[SIGNATURE.length + 8 + 9] & 0xff;
        if (colourType == 4 || colourType == 6) {
            return true;
        }
        int pos = SIGNATURE.length;
        while (pos + 12 <= bytes.length) {
            int type = readInt(bytes, pos + 4);
            if (type == TRNS) {
                return true;
            }
            if (type == IDAT || type == IEND) {
                return false;
            }
            int length = readInt(bytes, pos);
            if (length < 0) {
                return false;
            }
            pos += 12 + length;
        }
        return false;
    }

    private static int readInt(byte[] b, int i) {
        return ((b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }
}
