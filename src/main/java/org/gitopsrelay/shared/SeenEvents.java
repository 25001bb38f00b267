package org.gitopsrelay.shared;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ids of the last events a consumer acted on. Kafka delivers at least once and a redelivered webhook republishes
 * its deployment event under the same id: acting twice would count or notify twice.
 */
public final class SeenEvents {

    private final Map<String, Boolean> ids;

    public SeenEvents(int capacity) {
        this.ids = new LinkedHashMap<>(capacity, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** True the first time an id is seen (within the last {@code capacity} ids). */
    public synchronized boolean firstTime(String id) {
        return ids.put(id, Boolean.TRUE) == null;
    }

    /** Whether an id was seen (within the last {@code capacity} ids), without recording it. */
    public synchronized boolean contains(String id) {
        return ids.containsKey(id);
    }
}
