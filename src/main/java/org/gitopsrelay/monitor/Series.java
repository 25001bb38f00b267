package org.gitopsrelay.monitor;

import io.micrometer.core.instrument.MeterRegistry;

/** Removing a metric's series by name and tags. */
final class Series {

    private Series() {
    }

    /**
     * Removes the series of {@code name} with these tags ({@code key, value, ...}): one whose subject is gone, or one
     * an earlier start in this JVM left (tests restart the application) that would keep reading that start's value.
     */
    static void remove(MeterRegistry metrics, String name, String... tags) {
        metrics.find(name).tags(tags).meters().forEach(metrics::remove);
    }
}
