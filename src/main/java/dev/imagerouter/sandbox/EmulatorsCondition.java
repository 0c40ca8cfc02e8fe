package dev.imagerouter.sandbox;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.BeanContext;
import io.micronaut.context.condition.Condition;
import io.micronaut.context.condition.ConditionContext;

/**
 * Whether the emulator beans exist: in the emulators process (Micronaut environment
 * {@value #EMULATORS_ENV}, started by {@code java -jar image-router.jar emulators}) and in a router
 * in sandbox mode ({@link EmulatorSwitch}). In live mode no emulator bean exists, so
 * {@code /sandbox/**} has no route (404) and nothing of the sandbox is allocated. Applied to the
 * whole package by its {@code package-info}.
 */
public final class EmulatorsCondition implements Condition {

    /** The Micronaut environment of the process that runs the emulators alone. */
    public static final String EMULATORS_ENV = "emulators";

    @Override
    public boolean matches(ConditionContext context) {
        BeanContext beans = context.getBeanContext();
        if (beans instanceof ApplicationContext app && app.getEnvironment().getActiveNames().contains(EMULATORS_ENV)) {
            return true;
        }
        return beans.findBean(EmulatorSwitch.class).map(EmulatorSwitch::emulatorsServe).orElse(false);
    }
}
