package dev.imagerouter.sandbox;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Leonardo's success bodies, key for key and in the order of the captured responses.
 * <ul>
 *   <li>create: {@code {"sdGenerationJob":{"generationId","apiCreditCost","cost":{"amount","unit":"CREDITS"}}}} (WIRE §2.3)</li>
 *   <li>poll: {@code {"generations_by_pk":{…}}} in the key order of the OBS-3 capture (WIRE §3.2); {@code seed}
 *       is null while PENDING (the WIRE §3.2 PENDING example), a number afterwards</li>
 *   <li>me: one {@code user_details} element, keys of the DOC-PRICE example (WIRE §4)</li>
 * </ul>
 */
final class LeonardoBodies {

    private LeonardoBodies() {
    }

    /** The create answer; {@code apiCreditCost} is the cost rounded up to whole credits. */
    static byte[] created(LeonardoJob job) {
        Map<String, Object> cost = SandboxJson.object();
        cost.put("amount", job.cost().stripTrailingZeros().toPlainString());
        cost.put("unit", "CREDITS");
        Map<String, Object> sd = SandboxJson.object();
        sd.put("generationId", job.id());
        sd.put("apiCreditCost", job.cost().setScale(0, RoundingMode.CEILING).intValue());
        sd.put("cost", cost);
        return SandboxJson.bytes(Map.of("sdGenerationJob", sd));
    }

    /**
     * The v2 create answer {@code {"generate":{"generationId","apiCreditCost","cost":{"amount","unit"}}}}
     * (UPDATES-2026.md §1.2: the root field and generationId [H], the cost fields [M]); the job fields as v1's.
     */
    static byte[] createdV2(LeonardoJob job) {
        Map<String, Object> cost = SandboxJson.object();
        cost.put("amount", job.cost().stripTrailingZeros().toPlainString());
        cost.put("unit", "CREDITS");
        Map<String, Object> generate = SandboxJson.object();
        generate.put("generationId", job.id());
        generate.put("apiCreditCost", job.cost().setScale(0, RoundingMode.CEILING).intValue());
        generate.put("cost", cost);
        return SandboxJson.bytes(Map.of("generate", generate));
    }

    /** {@code {"generations_by_pk":null}} for an unknown id (WIRE §3.1 "Not found"). */
    static byte[] notFound() {
        Map<String, Object> body = SandboxJson.object();
        body.put("generations_by_pk", null);
        return SandboxJson.bytes(body);
    }

    /**
     * The poll answer at {@code nowNanos}; image URLs are {@code <baseUrl>/sandbox/leonardo/cdn/<id>/<index>.png}.
     */
    static byte[] generation(LeonardoJob job, long nowNanos, String baseUrl) {
        String status = job.status(nowNanos);
        LeonardoRequest r = job.request();
        List<Object> images = new ArrayList<>();
        if ("COMPLETE".equals(status) && job.outcome() == LeonardoJob.Outcome.COMPLETE) {
            for (int i = 0; i < job.imageIds().size(); i++) {
                Map<String, Object> img = SandboxJson.object();
                img.put("url", baseUrl + SandboxKeys.LEONARDO_CDN_PATH + "/" + job.id() + "/" + i + ".png");
                img.put("nsfw", false);
                img.put("id", job.imageIds().get(i));
                img.put("likeCount", 0);
                img.put("motionMP4URL", null);
                img.put("generated_image_variation_generics", List.of());
                images.add(img);
            }
        }
        Map<String, Object> g = SandboxJson.object();
        g.put("generated_images", images);
        g.put("modelId", r.modelId());
        g.put("motion", null);
        g.put("motionModel", null);
        g.put("motionStrength", null);
        g.put("prompt", r.prompt());
        g.put("negativePrompt", r.negativePrompt() == null ? "" : r.negativePrompt());
        g.put("imageHeight", r.height());
        g.put("imageToVideo", null);
        g.put("imageWidth", r.width());
        g.put("inferenceSteps", r.inferenceSteps());
        g.put("seed", "PENDING".equals(status) ? null : job.seed());
        g.put("public", r.isPublic());
        g.put("scheduler", r.scheduler());
        g.put("sdVersion", sdVersion(r));
        g.put("status", status);
        g.put("presetStyle", r.presetStyle());
        g.put("initStrength", r.initStrength());
        g.put("guidanceScale", r.guidanceScale().stripTrailingZeros());
        g.put("id", job.id());
        g.put("createdAt", job.createdAt());
        g.put("promptMagic", r.promptMagic());
        g.put("promptMagicVersion", r.promptMagicVersion());
        g.put("promptMagicStrength", r.promptMagicStrength());
        g.put("photoReal", r.photoReal());
        g.put("photoRealStrength", r.photoRealStrength());
        g.put("fantasyAvatar", null);
        g.put("generation_elements", List.of());
        Map<String, Object> body = SandboxJson.object();
        body.put("generations_by_pk", g);
        return SandboxJson.bytes(body);
    }

    /**
     * The model's base version: PHOENIX for Phoenix ids (an assumption, WIRE §3.2), the known
     * models of WIRE §7, else the request's {@code sd_version}, else {@code v1_5} (the spec default).
     */
    static String sdVersion(LeonardoRequest r) {
        if (r.modelId() != null) {
            if (LeonardoValidator.PHOENIX_MODELS.contains(r.modelId())) {
                return "PHOENIX";
            }
            switch (r.modelId()) {
                case "b24e16ff-06e3-43eb-8d33-4416c2d75876":
                    return "SDXL_LIGHTNING";
                case "1dd50843-d653-4516-a8e3-f0238ee453ff":
                    return "FLUX";
                case "b2614463-296c-462a-9586-aafdb8f00e36":
                    return "FLUX_DEV";
                case "6bef9f1b-29cb-40c7-b9df-32b51c1f67d3":
                    return "v2";
                default:
                    break;
            }
        }
        return r.sdVersion() != null ? r.sdVersion() : "v1_5";
    }

    /** The {@code GET /me} answer; balances are decimals (WIRE §4 "map these fields to BigDecimal"). */
    static byte[] me(BigDecimal subscriptionTokens, BigDecimal paidTokens) {
        Map<String, Object> user = SandboxJson.object();
        user.put("id", SandboxKeys.LEONARDO_USER_ID);
        user.put("username", SandboxKeys.LEONARDO_USERNAME);
        Map<String, Object> d = SandboxJson.object();
        d.put("user", user);
        d.put("tokenRenewalDate", null);
        d.put("paidTokens", 0);
        d.put("subscriptionTokens", 0);
        d.put("subscriptionGptTokens", 0);
        d.put("subscriptionModelTokens", 0);
        d.put("apiConcurrencySlots", 10);
        d.put("apiPaidTokens", paidTokens);
        d.put("apiSubscriptionTokens", subscriptionTokens);
        d.put("apiPlanTokenRenewalDate", null);
        return SandboxJson.bytes(Map.of("user_details", List.of(d)));
    }
}
