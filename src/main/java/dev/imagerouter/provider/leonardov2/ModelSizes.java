package dev.imagerouter.provider.leonardov2;

import dev.imagerouter.configtree.ConfigNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which {@code width × height} one Leonardo v2 model accepts, from {@code parameters.sizes} of its provider
 * file, and the size the router asks for when the caller's is not accepted (the router then crops and
 * resizes the answer to what the caller asked: {@code storage.ImageNormaliser}). Two forms
 * (shared/specs/leonardo/UPDATES-2026.md §1.3 gives each model's):
 * <pre>
 * sizes:                          # a list of exact sizes (GPT Image 2, Ideogram 4.5, Nano Banana, Recraft)
 *   fixed: [1024x1024, 1376x768]  #   the entry nearest in aspect ratio, then in pixel count, is asked for
 *   max-crop: 0.05                #   optional, 0..1: at most this share of the generated image's width or
 *                                 #   height may be cropped away to reach the requested aspect ratio; a
 *                                 #   request that needs more is not sent here (trail UNSUPPORTED)
 * sizes:                          # ranges (Lucid, FLUX, Seedream)
 *   width: [16, 3840]             #   smallest and largest width
 *   height: [16, 3616]            #   smallest and largest height
 *   multiple-of: 8                #   both edges multiples of this
 *   max-crop: 1                   #   as above; default 1 (any crop)
 * </pre>
 * Under ranges a size inside them is asked for as it is; any other is scaled, keeping its aspect ratio,
 * into them (down when an edge is too long, up when one is too short), then clamped and rounded to the
 * multiple. Immutable and thread-safe.
 *
 * @param fixed      the accepted sizes, {@code {width, height}}; empty under ranges
 * @param minWidth   smallest width (ranges)
 * @param maxWidth   largest width (ranges)
 * @param minHeight  smallest height (ranges)
 * @param maxHeight  largest height (ranges)
 * @param multipleOf both edges are multiples of this (ranges), at least 1
 * @param maxCrop    the largest share of the generated width or height the router may crop away, 0..1
 */
public record ModelSizes(List<int[]> fixed, int minWidth, int maxWidth, int minHeight, int maxHeight, int multipleOf,
                         double maxCrop) {

    public ModelSizes {
        fixed = List.copyOf(fixed);
        if (fixed.isEmpty() && (minWidth > maxWidth || minHeight > maxHeight || multipleOf < 1)) {
            throw new IllegalArgumentException("size ranges need min <= max and multiple-of >= 1, but were width "
                    + minWidth + ".." + maxWidth + ", height " + minHeight + ".." + maxHeight + ", multiple-of " + multipleOf);
        }
        if (!(maxCrop >= 0 && maxCrop <= 1)) {
            throw new IllegalArgumentException("max-crop must be between 0 and 1, but was " + maxCrop);
        }
    }

    /**
     * Equal when the sizes, ranges, multiple and crop are (the fixed sizes compared by value, not by array
     * identity), so that a reload that changes nothing of a file keeps its adapter (ProviderRegistry).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSizes other && describe().equals(other.describe()) && maxCrop == other.maxCrop;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(describe(), maxCrop);
    }

    @Override
    public String toString() {
        return "ModelSizes[" + describe() + ", max-crop " + maxCrop + "]";
    }

    /** Reads {@code sizes:} under a file's {@code parameters:}; problems go to the node's error list. */
    static ModelSizes read(ConfigNode parameters) {
        ConfigNode node = parameters.child("sizes");
        double maxCrop = node.decimal("max-crop", 1.0, 0.0, 1.0);
        List<String> list = node.stringList("fixed", List.of());
        if (!list.isEmpty()) {
            List<int[]> sizes = new ArrayList<>();
            for (String s : list) {
                Optional<int[]> size = parse(s);
                if (size.isEmpty()) {
                    node.problem("fixed", s, "sizes as WIDTHxHEIGHT with positive edges, e.g. 1024x1024");
                } else {
                    sizes.add(size.get());
                }
            }
            if (node.has("width") || node.has("height") || node.has("multiple-of")) {
                node.problem("fixed", list, "either fixed sizes or width/height ranges, not both");
            }
            return new ModelSizes(sizes.isEmpty() ? List.of(new int[]{1024, 1024}) : sizes, 1, 1, 1, 1, 1, maxCrop);
        }
        int[] width = range(node, "width");
        int[] height = range(node, "height");
        int multiple = node.integer("multiple-of", 8, 1, 1024);
        if (width[1] / multiple * multiple < width[0] || height[1] / multiple * multiple < height[0]) {
            node.problem("multiple-of", multiple, "a multiple that fits between the smallest and largest width and height");
            multiple = 1;
        }
        return new ModelSizes(List.of(), width[0], width[1], height[0], height[1], multiple, maxCrop);
    }

    private static int[] range(ConfigNode node, String key) {
        List<String> pair = node.stringList(key, List.of());
        if (pair.isEmpty()) {
            node.problem(key, "(none)", "[smallest, largest] in pixels, e.g. [256, 1440], or a fixed: list");
            return new int[]{1024, 1024};
        }
        try {
            int min = Integer.parseInt(pair.get(0));
            int max = Integer.parseInt(pair.get(pair.size() - 1));
            if (pair.size() == 2 && min >= 1 && min <= max) {
                return new int[]{min, max};
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        node.problem(key, pair, "[smallest, largest] in pixels with 1 <= smallest <= largest, e.g. [256, 1440]");
        return new int[]{1024, 1024};
    }

    /** {@code WIDTHxHEIGHT} with positive edges, or empty. */
    static Optional<int[]> parse(String text) {
        String[] wh = text.trim().toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            int w = Integer.parseInt(wh[0].trim());
            int h = Integer.parseInt(wh[1].trim());
            return wh.length == 2 && w > 0 && h > 0 ? Optional.of(new int[]{w, h}) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code width x height} may be sent as it is. */
    public boolean accepts(int width, int height) {
        if (!fixed.isEmpty()) {
            return fixed.stream().anyMatch(s -> s[0] == width && s[1] == height);
        }
        return width >= minWidth && width <= maxWidth && height >= minHeight && height <= maxHeight
                && width % multipleOf == 0 && height % multipleOf == 0;
    }

    /**
     * The size to ask for {@code width x height}: itself when accepted, else the nearest accepted size (see the
     * class comment).
     *
     * @return {@code {width, height}}, or empty when reaching the requested aspect ratio from it would crop away
     *         more than {@link #maxCrop()}
     */
    public Optional<int[]> choose(int width, int height) {
        int[] size = nearest(width, height);
        return crop(width, height, size[0], size[1]) <= maxCrop + 1e-9 ? Optional.of(size) : Optional.empty();
    }

    /**
     * The share of a {@code generatedWidth x generatedHeight} image's width or height the router crops away to give it
     * the aspect ratio of {@code width x height} (before resizing): 0 for the same aspect ratio.
     */
    public static double crop(int width, int height, int generatedWidth, int generatedHeight) {
        double asked = (double) width / height;
        double made = (double) generatedWidth / generatedHeight;
        return 1 - Math.min(asked / made, made / asked);
    }

    private int[] nearest(int width, int height) {
        if (accepts(width, height)) {
            return new int[]{width, height};
        }
        if (!fixed.isEmpty()) {
            double aspect = Math.log((double) width / height);
            double pixels = Math.log((double) width * height);
            int[] best = fixed.get(0);
            double bestAspect = Double.MAX_VALUE;
            double bestPixels = Double.MAX_VALUE;
            for (int[] s : fixed) {
                double a = Math.abs(aspect - Math.log((double) s[0] / s[1]));
                double p = Math.abs(pixels - Math.log((double) s[0] * s[1]));
                if (a < bestAspect - 1e-9 || (Math.abs(a - bestAspect) <= 1e-9 && p < bestPixels)) {
                    best = s;
                    bestAspect = a;
                    bestPixels = p;
                }
            }
            return best.clone();
        }
        double w = width;
        double h = height;
        double down = Math.min(1, Math.min(maxWidth / w, maxHeight / h));
        w *= down;
        h *= down;
        double up = Math.max(1, Math.max(minWidth / w, minHeight / h));
        w *= up;
        h *= up;
        return new int[]{edge(w, minWidth, maxWidth), edge(h, minHeight, maxHeight)};
    }

    /** {@code value} clamped to [min, max] and rounded to the nearest multiple inside them. */
    private int edge(double value, int min, int max) {
        double clamped = Math.max(min, Math.min(max, value));
        int rounded = (int) Math.round(clamped / multipleOf) * multipleOf;
        if (rounded > max) {
            rounded -= multipleOf;
        }
        if (rounded < min) {
            rounded += multipleOf;
        }
        return rounded;
    }

    /** The sizes in the file's notation, for messages. */
    String describe() {
        if (!fixed.isEmpty()) {
            return fixed.stream().map(s -> s[0] + "x" + s[1]).toList().toString();
        }
        return "width " + minWidth + ".." + maxWidth + ", height " + minHeight + ".." + maxHeight + ", multiples of " + multipleOf;
    }
}
