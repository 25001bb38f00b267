package org.gitopsrelay.tracing;

import java.util.List;

import jakarta.annotation.Priority;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Priorities;

/**
 * Turns tracing on exactly when a collector is named. Quarkus' OTLP exporter always has an endpoint (it defaults to
 * {@code localhost:4317}), and whether it exists is fixed when the jar is built; so a service with no collector would
 * try to reach one and log an export error every few seconds. What a user can still change at run time is
 * {@code quarkus.otel.sdk.disabled}: unless it is set explicitly, it follows the absence of
 * {@code quarkus.otel.exporter.otlp.endpoint} (or its {@code .traces.} form), so that naming a collector is the one
 * step that sends spans to it.
 */
@Priority(Priorities.APPLICATION)
public final class TracingSwitch implements ConfigSourceInterceptor {

    static final String SDK_DISABLED = "quarkus.otel.sdk.disabled";
    static final List<String> ENDPOINTS = List.of("quarkus.otel.exporter.otlp.traces.endpoint",
            "quarkus.otel.exporter.otlp.endpoint");
    private static final String SOURCE = "gitops-relay tracing switch (on when an OTLP endpoint is set)";

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (!SDK_DISABLED.equals(name) || setByUser(value)) {
            return value;
        }
        boolean collector = ENDPOINTS.stream().map(context::proceed).anyMatch(TracingSwitch::setByUser);
        return ConfigValue.builder().withName(name).withValue(Boolean.toString(!collector))
                .withConfigSourceName(SOURCE).build();
    }

    /** Quarkus registers defaults for both keys, the endpoint's being localhost:4317: those name no collector. */
    private static boolean setByUser(ConfigValue value) {
        return value != null && !value.isDefault() && value.getValue() != null && !value.getValue().isBlank();
    }
}
