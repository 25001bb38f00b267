package org.gitopsrelay.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** Tracing follows the naming of a collector, unless the SDK switch is set by hand. */
class TracingSwitchTest {

    /** Configuration as Quarkus builds it: the extension's defaults, then the user's settings. */
    private static SmallRyeConfig config(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return new SmallRyeConfigBuilder()
                .withDefaultValue(TracingSwitch.SDK_DISABLED, "false")
                .withDefaultValue("quarkus.otel.exporter.otlp.endpoint", "http://localhost:4317/")
                .withInterceptors(new TracingSwitch())
                .withSources(new PropertiesConfigSource(values, "user", 300))
                .build();
    }

    private static boolean sdkDisabled(SmallRyeConfig config) {
        return config.getValue(TracingSwitch.SDK_DISABLED, Boolean.class);
    }

    @Test
    void withNoCollectorNamedTheSdkIsOffSoNothingTriesToExport() {
        assertThat(sdkDisabled(config())).isTrue();
    }

    @Test
    void namingACollectorTurnsTheSdkOn() {
        assertThat(sdkDisabled(config("quarkus.otel.exporter.otlp.endpoint", "http://collector:4317"))).isFalse();
        assertThat(sdkDisabled(config("quarkus.otel.exporter.otlp.traces.endpoint", "http://collector:4318")))
                .isFalse();
    }

    @Test
    void theDefaultEndpointIsNoCollectorButTheSameAddressSetByAUserIs() {
        assertThat(sdkDisabled(config("quarkus.otel.exporter.otlp.endpoint", "http://localhost:4317/"))).isFalse();
    }

    @Test
    void aBlankEndpointNamesNoCollector() {
        assertThat(sdkDisabled(config("quarkus.otel.exporter.otlp.endpoint", " "))).isTrue();
    }

    @Test
    void theSwitchSetByHandWinsEitherWay() {
        assertThat(sdkDisabled(config("quarkus.otel.exporter.otlp.endpoint", "http://collector:4317",
                "quarkus.otel.sdk.disabled", "true"))).isTrue();
        assertThat(sdkDisabled(config("quarkus.otel.sdk.disabled", "false"))).isFalse();
    }
}
