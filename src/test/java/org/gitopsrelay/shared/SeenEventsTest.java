package org.gitopsrelay.shared;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SeenEventsTest {

    @Test
    void anIdIsNewOnlyOnceWithinItsCapacity() {
        SeenEvents seen = new SeenEvents(2);
        assertThat(seen.firstTime("a")).isTrue();
        assertThat(seen.firstTime("a")).isFalse();
        assertThat(seen.firstTime("b")).isTrue();
        assertThat(seen.firstTime("c")).isTrue();
        // "a" was the eldest and made room for "c".
        assertThat(seen.firstTime("a")).isTrue();
    }
}
