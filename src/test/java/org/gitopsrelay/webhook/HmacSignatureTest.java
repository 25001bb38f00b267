package org.gitopsrelay.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class HmacSignatureTest {

    private static final byte[] BODY = "{\"zen\":\"Keep it logically awesome.\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void matchesTheSignatureGitHubComputes() {
        // Value computed independently: printf '%s' "$BODY" | openssl dgst -sha256 -hmac s3cret
        String header = "sha256=" + HmacSignature.sha256Hex("s3cret", BODY);
        assertThat(header).isEqualTo("sha256=" + openssl());
        assertThat(HmacSignature.matches("s3cret", BODY, header, "sha256=")).isTrue();
    }

    @Test
    void refusesAnotherSecretAChangedBodyOrAMissingPrefix() {
        String header = "sha256=" + HmacSignature.sha256Hex("s3cret", BODY);
        assertThat(HmacSignature.matches("other", BODY, header, "sha256=")).isFalse();
        assertThat(HmacSignature.matches("s3cret", "{}".getBytes(StandardCharsets.UTF_8), header, "sha256=")).isFalse();
        assertThat(HmacSignature.matches("s3cret", BODY, header.substring(7), "sha256=")).isFalse();
        assertThat(HmacSignature.matches("s3cret", BODY, "sha256=", "sha256=")).isFalse();
        assertThat(HmacSignature.matches("", BODY, header, "sha256=")).isFalse();
        assertThat(HmacSignature.matches(null, BODY, header, "sha256=")).isFalse();
    }

    @Test
    void acceptsUpperCaseHex() {
        String header = "sha256=" + HmacSignature.sha256Hex("s3cret", BODY).toUpperCase(java.util.Locale.ROOT);
        assertThat(HmacSignature.matches("s3cret", BODY, header, "sha256=")).isTrue();
    }

    private static String openssl() {
        try {
            Process process = new ProcessBuilder("openssl", "dgst", "-sha256", "-hmac", "s3cret", "-r").start();
            process.getOutputStream().write(BODY);
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor();
            return out.split(" ")[0].trim();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
