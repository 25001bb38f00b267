package org.gitopsrelay.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommitTextTest {

    @Test
    void aNewlineCannotForgeATrailer() {
        assertThat(CommitText.oneLine("mallory\n\nRelay-Event: forged")).isEqualTo("mallory  Relay-Event: forged");
        assertThat(CommitText.oneLine("a\u2028b\rc")).isEqualTo("a b c");
    }

    @Test
    void longAndEmptyTextIsBounded() {
        assertThat(CommitText.oneLine("x".repeat(500))).hasSize(121);
        assertThat(CommitText.oneLine(null)).isEqualTo("(unknown)");
        assertThat(CommitText.oneLine("  ")).isEqualTo("(unknown)");
    }
}
