package dev.imagerouter.provider.leonardov2;

import dev.imagerouter.configtree.ConfigErrors;
import dev.imagerouter.configtree.ConfigException;
import dev.imagerouter.configtree.ConfigNode;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.Unsupported;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-model mapping of a request to a Leonardo v2 model's {@code parameters}, read from the shipped provider
 * files: sizes (ranges and multiples, fixed lists, max-crop), mode vs quality, quantity, seed range, style ids,
 * extra parameters, and the problems a file can have.
 */
class ModelParametersTest {

    private static ModelParameters shipped(String file) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(Path.of("providers", file + ".yml")));
        ConfigErrors errors = new ConfigErrors();
        ModelParameters p = ModelParameters.read(new ConfigNode(file, "router.providers." + file, tree, errors, k -> Optional.empty(),
                new LinkedHashMap<>()));
        errors.throwIfAny();
        return p;
    }

    private static ModelParameters read(Map<String, Object> parameters, ConfigErrors errors) {
        return ModelParameters.read(new ConfigNode("test.yml", "router.providers.test", Map.of("parameters", parameters), errors,
                k -> Optional.empty(), new LinkedHashMap<>()));
    }

    private static ImageRequest request(int width, int height) {
        return new ImageRequest("a harbour", Optional.empty(), width, height, 1, "auto", Optional.empty(), Optional.empty(), "png",
                Optional.empty());
    }

    @Test
    void ranges_sendASizeInsideThemAsItIs_andScaleOthersIntoThemAtTheSameAspect() throws Exception {
        ModelSizes flux = shipped("leonardo-flux-pro-2").sizes();
        assertArrayEquals(new int[]{1344, 768}, flux.choose(1344, 768).orElseThrow());
        assertArrayEquals(new int[]{1440, 816}, flux.choose(3840, 2160).orElseThrow(), "down into 1440, multiples of 16");
        assertArrayEquals(new int[]{256, 256}, flux.choose(256, 256).orElseThrow());
        ModelSizes seedream = shipped("leonardo-seedream-5-pro").sizes();
        assertArrayEquals(new int[]{768, 1024}, seedream.choose(384, 512).orElseThrow(), "up to 768, the model's smallest");
        ModelSizes lucid = shipped("leonardo-lucid-origin").sizes();
        assertArrayEquals(new int[]{3840, 2160}, lucid.choose(3840, 2160).orElseThrow());
        assertArrayEquals(new int[]{2032, 3616}, lucid.choose(2160, 3840).orElseThrow(), "height capped at 3616, same aspect");
    }

    @Test
    void fixedLists_pickTheNearestAspect_thenTheNearestPixelCount() throws Exception {
        ModelSizes gpt = shipped("leonardo-gpt-image-2").sizes();
        assertArrayEquals(new int[]{1376, 768}, gpt.choose(1344, 768).orElseThrow());
        assertArrayEquals(new int[]{1024, 1024}, gpt.choose(2048, 2048).orElseThrow());
        assertArrayEquals(new int[]{1024, 1536}, gpt.choose(832, 1248).orElseThrow());
        ModelSizes ideogram = shipped("leonardo-ideogram-4-5").sizes();
        assertArrayEquals(new int[]{1280, 720}, ideogram.choose(1344, 768).orElseThrow(), "16:9 at 1K, not 2K");
        assertArrayEquals(new int[]{2560, 1440}, ideogram.choose(2560, 1440).orElseThrow());
    }

    @Test
    void maxCrop_refusesASizeNoListedSizeIsNearEnoughTo() throws Exception {
        ModelParameters recraft = shipped("leonardo-recraft-v4");
        assertArrayEquals(new int[]{1344, 768}, recraft.sizes().choose(1344, 768).orElseThrow());
        assertArrayEquals(new int[]{1344, 768}, recraft.sizes().choose(1920, 1080).orElseThrow(), "1.6 % off 16:9: cropped");
        assertTrue(recraft.sizes().choose(768, 1344).isEmpty());
        Unsupported u = recraft.unsupported(request(768, 1344), "Leonardo recraft-v4").orElseThrow();
        assertEquals("size", u.param());
        assertTrue(u.reason().contains("768x1344") && u.reason().contains("5%"), u.reason());
        assertEquals(0.0, ModelSizes.crop(1344, 768, 1344, 768), 1e-9);
        assertEquals(1 - (1344.0 / 768) / (1376.0 / 768), ModelSizes.crop(1344, 768, 1376, 768), 1e-9);
    }

    @Test
    void theParametersObject_followsTheFile() throws Exception {
        ImageRequest r = new ImageRequest("a harbour", Optional.of("fog"), 1920, 1080, 2, "high", Optional.of("cinematic"),
                Optional.of(4_000_000_000L), "png", Optional.empty());

        Map<String, Object> lucid = shipped("leonardo-lucid-origin").of(r);
        assertEquals(List.of("prompt", "width", "height", "quantity", "mode", "style_ids", "prompt_enhance"),
                List.copyOf(lucid.keySet()), "a seed above 2147483647 is not sent: " + lucid);
        assertEquals("a harbour\nAvoid: fog", lucid.get("prompt"));
        assertEquals("ULTRA", lucid.get("mode"));
        assertEquals(List.of("a5632c7c-ddbb-4e2f-ba34-8456ab3ac436"), lucid.get("style_ids"));
        assertEquals("OFF", lucid.get("prompt_enhance"));

        Map<String, Object> flux = shipped("leonardo-flux-pro-2").of(r);
        assertEquals(4_000_000_000L, flux.get("seed"), "FLUX takes seeds up to 4294967295");
        assertFalse(flux.containsKey("style_ids") || flux.containsKey("mode") || flux.containsKey("quality"), flux.toString());
        assertEquals(1440, flux.get("width"));

        Map<String, Object> gpt = shipped("leonardo-gpt-image-2").of(r);
        assertEquals("HIGH", gpt.get("quality"));
        assertFalse(gpt.containsKey("seed"), "gpt-image-2 takes no seed");

        Map<String, Object> seedream = shipped("leonardo-seedream-5-pro").of(r);
        assertEquals("png", seedream.get("output_format"));
    }

    @Test
    void unsupported_promptLength_imageCount_transparency() throws Exception {
        ModelParameters nano = shipped("leonardo-nano-banana-2");
        ImageRequest longPrompt = new ImageRequest("x".repeat(4990), Optional.of("0123456789abc"), 1024, 1024, 1, "auto",
                Optional.empty(), Optional.empty(), "png", Optional.empty());
        assertEquals("prompt", nano.unsupported(longPrompt, "m").orElseThrow().param(), "the appended negative prompt counts");
        ImageRequest transparent = new ImageRequest("a logo", Optional.empty(), 1024, 1024, 1, "auto", Optional.empty(),
                Optional.empty(), "png", "transparent", "auto", Optional.empty(), Optional.empty(), 0, Optional.empty());
        assertEquals("background", nano.unsupported(transparent, "m").orElseThrow().param());
        ConfigErrors errors = new ConfigErrors();
        ModelParameters one = read(Map.of("sizes", Map.of("fixed", List.of("1024x1024")), "max-quantity", 1), errors);
        ImageRequest two = new ImageRequest("a", Optional.empty(), 1024, 1024, 2, "auto", Optional.empty(), Optional.empty(), "png",
                Optional.empty());
        assertEquals("n", one.unsupported(two, "m").orElseThrow().param());
        assertTrue(one.unsupported(request(1024, 1024), "m").isEmpty());
    }

    @Test
    void extra_keepsYamlTypes() {
        ConfigErrors errors = new ConfigErrors();
        ModelParameters p = read(Map.of("sizes", Map.of("fixed", List.of("1024x1024")),
                "extra", Map.of("prompt_enhance", "OFF", "tiling", false, "steps", 30)), errors);
        errors.throwIfAny();
        Map<String, Object> params = p.of(request(1024, 1024));
        assertEquals("OFF", params.get("prompt_enhance"));
        assertEquals(Boolean.FALSE, params.get("tiling"));
        assertEquals(30, params.get("steps"));
    }

    @Test
    void fileMistakes_areReported_namingKeyValueAndExpectation() {
        ConfigErrors errors = new ConfigErrors();
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("sizes", Map.of("fixed", List.of("1024x1024", "big"), "width", List.of(1, 2)));
        parameters.put("quality", Map.of("parameter", "speed", "low", "LOW"));
        parameters.put("style-ids", Map.of("CINEMATIC", "not-a-uuid"));
        parameters.put("extra", Map.of("prompt", "override", "quantity", 9));
        read(parameters, errors);

        String m = assertThrows(ConfigException.class, errors::throwIfAny).getMessage();
        assertTrue(m.contains("router.providers.test.parameters.sizes.fixed = 'big': expected sizes as WIDTHxHEIGHT"), m);
        assertTrue(m.contains("either fixed sizes or width/height ranges, not both"), m);
        assertTrue(m.contains("router.providers.test.parameters.quality.parameter = 'speed'"), m);
        assertTrue(m.contains("router.providers.test.parameters.quality.medium = '(none)'"), m);
        assertTrue(m.contains("router.providers.test.parameters.style-ids.CINEMATIC = 'not-a-uuid': expected a style UUID"), m);
        assertTrue(m.contains("router.providers.test.parameters.extra.prompt = 'prompt': expected a parameter name the router does not set"), m);
        assertTrue(m.contains("router.providers.test.parameters.extra.quantity"), m);
    }
}
