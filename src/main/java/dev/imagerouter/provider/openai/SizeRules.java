package dev.imagerouter.provider.openai;

import dev.imagerouter.configtree.ConfigNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Which {@code size} values an OpenAI image model accepts, from the provider file's {@code sizes:},
 * and the size the router asks for when the caller's is not among them (the router then resizes the
 * answer to what the caller asked).
 * <ul>
 *   <li>{@code fixed: [1024x1024, 1536x1024, 1024x1536]}: a list (gpt-image-1, OpenAI WIRE.md §1.1); the
 *       nearest entry in aspect ratio is asked for;</li>
 *   <li>rules (gpt-image-2, shared/specs/openai/GPT-IMAGE-2.md §1): both edges multiples of
 *       {@code multiple-of} (16), at most {@code max-edge} (3840), long:short at most
 *       {@code max-aspect-ratio} (3), {@code min-pixels}..{@code max-pixels} (655,360..8,294,400). A size
 *       inside them is asked for as it is; any other at the nearest size inside them with the closest
 *       aspect ratio.</li>
 * </ul>
 * Immutable and thread-safe.
 */
public record SizeRules(List<int[]> fixed, int multipleOf, int maxEdge, double maxAspectRatio, long minPixels, long maxPixels) {

    /** gpt-image-2's rules, the default when a file names none. */
    public static final SizeRules GPT_IMAGE_2 = new SizeRules(List.of(), 16, 3840, 3.0, 655_360L, 8_294_400L);

    public SizeRules {
        fixed = List.copyOf(fixed);
    }

    /**
     * Equal when every rule and every fixed size is (sizes compared by their edges, not as array
     * instances): a reload that reads the same {@code sizes:} keeps the running adapter
     * (routing.ProviderRegistry compares provider settings).
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SizeRules other) || fixed.size() != other.fixed.size()) {
            return false;
        }
        for (int i = 0; i < fixed.size(); i++) {
            if (!java.util.Arrays.equals(fixed.get(i), other.fixed.get(i))) {
                return false;
            }
        }
        return multipleOf == other.multipleOf && maxEdge == other.maxEdge
                && Double.compare(maxAspectRatio, other.maxAspectRatio) == 0
                && minPixels == other.minPixels && maxPixels == other.maxPixels;
    }

    @Override
    public int hashCode() {
        int h = java.util.Objects.hash(multipleOf, maxEdge, maxAspectRatio, minPixels, maxPixels);
        for (int[] size : fixed) {
            h = 31 * h + java.util.Arrays.hashCode(size);
        }
        return h;
    }

    /** Reads {@code sizes:} of a provider file; problems go to the node's error list. */
    public static SizeRules read(ConfigNode provider) {
        ConfigNode node = provider.child("sizes");
        List<String> list = node.stringList("fixed", List.of());
        if (!list.isEmpty()) {
            List<int[]> sizes = new ArrayList<>();
            for (String s : list) {
                String[] wh = s.split("x");
                try {
                    sizes.add(new int[]{Integer.parseInt(wh[0]), Integer.parseInt(wh[1])});
                } catch (RuntimeException e) {
                    node.problem("fixed", s, "sizes as WIDTHxHEIGHT, e.g. 1024x1024");
                }
            }
            return new SizeRules(sizes, 1, Integer.MAX_VALUE, Double.MAX_VALUE, 1, Long.MAX_VALUE);
        }
        int multiple = node.integer("multiple-of", GPT_IMAGE_2.multipleOf(), 1, 1024);
        int maxEdge = node.integer("max-edge", GPT_IMAGE_2.maxEdge(), 64, 100_000);
        double aspect = node.integer("max-aspect-ratio", (int) GPT_IMAGE_2.maxAspectRatio(), 1, 100);
        long min = node.longValue("min-pixels", GPT_IMAGE_2.minPixels(), 1, Long.MAX_VALUE);
        long max = node.longValue("max-pixels", GPT_IMAGE_2.maxPixels(), 1, Long.MAX_VALUE);
        if (min > max) {
            node.problem("min-pixels", min, "at most max-pixels (" + max + ")");
        }
        return new SizeRules(List.of(), multiple, maxEdge, aspect, min, max);
    }

    /** Whether {@code width x height} may be sent as it is. */
    public boolean accepts(int width, int height) {
        if (!fixed.isEmpty()) {
            return fixed.stream().anyMatch(s -> s[0] == width && s[1] == height);
        }
        long pixels = (long) width * height;
        return width % multipleOf == 0 && height % multipleOf == 0 && width <= maxEdge && height <= maxEdge
                && (double) Math.max(width, height) / Math.min(width, height) <= maxAspectRatio
                && pixels >= minPixels && pixels <= maxPixels;
    }

    /**
     * The size to ask for: {@code width x height} itself when accepted, else the nearest accepted size
     * in aspect ratio (and, under rules, in pixel count).
     *
     * @return {@code {width, height}}
     */
    public int[] nearest(int width, int height) {
        if (accepts(width, height)) {
            return new int[]{width, height};
        }
        double aspect = (double) width / height;
        if (!fixed.isEmpty()) {
            int[] best = fixed.get(0);
            double bestDistance = Double.MAX_VALUE;
            for (int[] s : fixed) {
                double distance = Math.abs(Math.log(aspect) - Math.log((double) s[0] / s[1]));
                if (distance < bestDistance) {
                    bestDistance = distance;
                    best = s;
                }
            }
            return best.clone();
        }
        aspect = Math.max(1 / maxAspectRatio, Math.min(maxAspectRatio, aspect));
        double pixels = Math.max(minPixels, Math.min(maxPixels, (double) width * height));
        double w = Math.sqrt(pixels * aspect);
        double h = Math.sqrt(pixels / aspect);
        double scale = Math.min(1, maxEdge / Math.max(w, h)); // an edge over the cap shrinks both
        w *= scale;
        h *= scale;
        // Round each edge to the grid; then step along the grid until every rule holds (a few
        // steps at most: rounding moves the pixel count by under one grid row or column).
        int gw = Math.max(1, (int) Math.round(w / multipleOf));
        int gh = Math.max(1, (int) Math.round(h / multipleOf));
        int maxGrid = maxEdge / multipleOf;
        for (int i = 0; i < 10_000 && !accepts(gw * multipleOf, gh * multipleOf); i++) {
            long p = (long) gw * multipleOf * gh * multipleOf;
            boolean wider = (double) gw / gh > aspect;
            if (p < minPixels) {
                if (wider && gh < maxGrid) gh++; else if (gw < maxGrid) gw++; else gh++;
            } else if (p > maxPixels) {
                if (wider && gw > 1) gw--; else if (gh > 1) gh--; else gw--;
            } else if ((double) Math.max(gw, gh) / Math.min(gw, gh) > maxAspectRatio) {
                if (gw > gh) gh++; else gw++;
            } else {
                gw = Math.min(gw, maxGrid);
                gh = Math.min(gh, maxGrid);
            }
        }
        return new int[]{gw * multipleOf, gh * multipleOf};
    }
}
