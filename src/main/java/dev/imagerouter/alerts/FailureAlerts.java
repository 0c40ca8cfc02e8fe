package dev.imagerouter.alerts;

import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.Attempt;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.RoutingListener;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyRule;
import jakarta.inject.Singleton;

import java.util.Set;

/**
 * Raises an alert for every failed attempt whose policy row says {@code alert: true} (by default
 * QUOTA_EXHAUSTED, AUTH_FAILED and MODEL_UNAVAILABLE), rate-limited per (failure kind, provider) by
 * {@code router.alerts.min-interval}. The alert is named after the failure kind; its message is the
 * classifier's short description, which never holds a key. Thread-safe.
 */
@Singleton
public class FailureAlerts implements RoutingListener {

    /** Kinds that stop a provider serving anything until someone acts: critical. Other kinds an operator marks alert: warning. */
    private static final Set<FailureKind> CRITICAL = Set.of(FailureKind.QUOTA_EXHAUSTED, FailureKind.AUTH_FAILED,
            FailureKind.MODEL_UNAVAILABLE);

    private final AlertService alerts;

    public FailureAlerts(AlertService alerts) {
        this.alerts = alerts;
    }

    @Override
    public void onAttempt(ProviderHandle provider, Attempt attempt, ProviderFailure failure, PolicyRule rule) {
        if (failure == null || rule == null || !rule.alert()) {
            return;
        }
        Alert.Severity severity = CRITICAL.contains(failure.kind()) ? Alert.Severity.CRITICAL : Alert.Severity.WARNING;
        alerts.raiseThrottled(Alert.firing(failure.kind().name(), severity, provider.name(), null, null,
                failure.kind() + " from " + provider.name() + " (" + failure.getMessage() + "); policy action "
                        + rule.action()));
    }
}
