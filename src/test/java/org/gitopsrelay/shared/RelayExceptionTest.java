package org.gitopsrelay.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.gitopsrelay.shared.RelayException.Reason;
import org.junit.jupiter.api.Test;

class RelayExceptionTest {

    @Test
    void anIoErrorIsARetryableStorageFailureThatSaysWhatTheDiskAnswered() {
        RelayException e = RelayException.of(new UncheckedIOException("Cannot prepare the render of apps/shop/envs/staging",
                new IOException("No space left on device")));

        assertThat(e.reason()).isEqualTo(Reason.STORAGE_UNAVAILABLE);
        assertThat(e.reason().retryable()).isTrue();
        assertThat(e).hasMessage("I/O failure: Cannot prepare the render of apps/shop/envs/staging: No space left on"
                + " device");
    }

    @Test
    void aCauseTheMessageAlreadyNamesIsNotRepeated() {
        IOException cause = new IOException("disk gone");
        RelayException e = RelayException.of(new UncheckedIOException(cause));

        assertThat(e).hasMessage("I/O failure: java.io.IOException: disk gone");
    }

    @Test
    void anythingElseUnexpectedIsAnInternalDefect() {
        RelayException e = RelayException.of(new IllegalStateException("boom"));

        assertThat(e.reason()).isEqualTo(Reason.INTERNAL);
        assertThat(e.reason().retryable()).isFalse();
    }
}
