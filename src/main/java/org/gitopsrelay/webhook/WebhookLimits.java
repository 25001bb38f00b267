package org.gitopsrelay.webhook;

import java.util.regex.Pattern;

import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

/** Checks every provider's delivery passes before its body is read. */
final class WebhookLimits {

    private static final Pattern HEADER_VALUE = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");

    private WebhookLimits() {
    }

    static void checkSize(byte[] body, int maxBytes) {
        if (body != null && body.length > maxBytes) {
            throw new RelayException(Reason.PAYLOAD_TOO_LARGE,
                    "The body has " + body.length + " bytes; the limit is " + maxBytes + " (relay.webhook.max-body-bytes)");
        }
    }

    /** Event names and delivery ids go into logs and event ids: only plain tokens are accepted. */
    static String requireHeader(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The " + name + " header is missing");
        }
        if (!HEADER_VALUE.matcher(value).matches()) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The " + name + " header is not a plain token");
        }
        return value;
    }
}
