package dev.imagerouter;

import io.micronaut.runtime.Micronaut;

/** Entry point: starts the router (and, in sandbox mode, the provider emulators) on one HTTP server. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        Micronaut.build(args).mainClass(Application.class).banner(false).start();
    }
}
