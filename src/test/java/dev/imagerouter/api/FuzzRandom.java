package dev.imagerouter.api;

import java.util.Random;

/** The fuzz test's seeded random source, with the few kinds of junk its cases draw. */
final class FuzzRandom extends Random {

    FuzzRandom(long seed) {
        super(seed);
    }

    /** Printable ASCII junk (what the JDK client lets into a header). */
    String junk(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append((char) (0x21 + nextInt(0x5e)));
        }
        return sb.toString();
    }

    byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        nextBytes(bytes);
        return bytes;
    }

    String pick(String[] options) {
        return options[nextInt(options.length)];
    }
}
