package org.gitopsrelay.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 signatures of webhook bodies, compared in constant time. */
public final class HmacSignature {

    private HmacSignature() {
    }

    public static String sha256Hex(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /**
     * True when {@code header} is {@code prefix} followed by the hex HMAC-SHA256 of {@code body} under
     * {@code secret}. The comparison takes the same time wherever the first difference is.
     */
    public static boolean matches(String secret, byte[] body, String header, String prefix) {
        if (secret == null || secret.isEmpty() || header == null || !header.startsWith(prefix)) {
            return false;
        }
        byte[] expected = sha256Hex(secret, body).getBytes(StandardCharsets.US_ASCII);
        byte[] given = header.substring(prefix.length()).trim().toLowerCase(java.util.Locale.ROOT)
                .getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given);
    }
}
