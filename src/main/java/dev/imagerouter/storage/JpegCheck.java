package dev.imagerouter.storage;

/**
 * A structural check of a JPEG without decoding it (ITU-T T.81 Annex B): SOI first, well-formed
 * marker segments up to the frame header (SOFn) with the expected size, and EOI as the last two
 * bytes. Catches truncated transfers and foreign data; JPEG has no checksums, so not bit flips in
 * the entropy-coded data (a full decode does not reliably catch those either: the JDK's reader
 * paints over them).
 */
final class JpegCheck {

    private JpegCheck() {
    }

    /** Whether {@code bytes} is a structurally intact JPEG of exactly {@code width x height}. */
    static boolean isIntact(byte[] bytes, int width, int height) {
        int n = bytes.length;
        if (n < 4 || (bytes[0] & 0xff) != 0xff || (bytes[1] & 0xff) != 0xd8
                || (bytes[n - 2] & 0xff) != 0xff || (bytes[n - 1] & 0xff) != 0xd9) {
            return false;
        }
        int pos = 2;
        while (pos + 4 <= n) {
            if ((bytes[pos] & 0xff) != 0xff) {
                return false;
            }
            int marker = bytes[pos + 1] & 0xff;
            if (marker == 0xff) { // fill byte
                pos++;
                continue;
            }
            if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { // TEM, RSTn: no length
                pos += 2;
                continue;
            }
            if (marker == 0xd8 || marker == 0xd9 || marker == 0xda) { // SOI, EOI or scan data before a frame header
                return false;
            }
            int length = ((bytes[pos + 2] & 0xff) << 8) | (bytes[pos + 3] & 0xff);
            if (length < 2 || pos + 2 + length > n) {
                return false;
            }
            if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) {
                // SOFn: length(2) precision(1) height(2) width(2)
                if (length < 8) {
                    return false;
                }
                int h = ((bytes[pos + 5] & 0xff) << 8) | (bytes[pos + 6] & 0xff);
                int w = ((bytes[pos + 7] & 0xff) << 8) | (bytes[pos + 8] & 0xff);
                return w == width && h == height;
            }
            pos += 2 + length;
        }
        return false;
    }
}
