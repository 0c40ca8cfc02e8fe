package dev.imagerouter.config;

import dev.imagerouter.settings.RouterConfig;
import dev.imagerouter.settings.SandboxConfig;
import dev.imagerouter.vocabulary.Secret;

import dev.imagerouter.sandbox.SandboxImages;
import dev.imagerouter.sandbox.SandboxSettings;
import dev.imagerouter.sandbox.SandboxState;

/** Hands {@code router.sandbox.*} to the emulators (in a sandboxed router and in the emulators process). */
public final class SandboxWiring {

    private SandboxWiring() {
    }

    /** Configures the emulators from {@code c}'s sandbox settings; they serve when its sandbox mode is on. */
    public static void configure(SandboxState state, SandboxImages images, RouterConfig c) {
        SandboxConfig s = c.sandbox();
        SandboxSettings settings = state.settings().toBuilder()
                .pending(s.pendingMin(), s.pendingMax())
                .faults(s.faults())
                .openaiLatency(s.openaiLatency())
                .openaiTransparent(s.openaiTransparent())
                .openaiShutdownDates(s.openaiShutdownDates())
                .late(s.lateAfter(), s.lateTimeout())
                .leonardoCreateLimit(s.leonardoCreateLimit(), s.leonardoCreateWindow())
                .leonardoConcurrentJobs(s.leonardoConcurrentJobs(), s.leonardoPendingJobs())
                .leonardoUnlistedModels(s.leonardoUnlistedModels())
                .webhook(s.webhook() ? s.webhookUrl() : "", c.auth().leonardoWebhookKey().map(Secret::reveal).orElse(""))
                .build();
        state.configure(s.enabled(), settings);
        images.setFlat(s.flatImages());
    }
}
