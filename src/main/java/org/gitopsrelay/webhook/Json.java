package org.gitopsrelay.webhook;

import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;

import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;

/** Reading webhook bodies: every missing or mistyped field becomes a 400 that names it. */
final class Json {

    private Json() {
    }

    static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The body is empty: a JSON object is expected");
        }
        try {
            JsonNode node = EventCodec.JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw new RelayException(Reason.MALFORMED_PAYLOAD, "The body is not a JSON object");
            }
            return node;
        } catch (JsonParseException e) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The body is not valid JSON: " + e.getOriginalMessage()
                    + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
        } catch (IOException e) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The body is not valid JSON: " + e.getMessage());
        }
    }

    static JsonNode at(JsonNode root, String path) {
        JsonNode node = root;
        for (String field : path.split("\\.")) {
            node = node == null ? null : node.get(field);
        }
        return node == null || node.isNull() || node.isMissingNode() ? null : node;
    }

    static String text(JsonNode root, String path) {
        JsonNode node = at(root, path);
        if (node == null) {
            throw missing(path);
        }
        if (!node.isTextual() || node.asText().isEmpty()) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field '" + path + "' must be a non-empty string");
        }
        return node.asText();
    }

    static String optionalText(JsonNode root, String path) {
        JsonNode node = at(root, path);
        return node != null && node.isValueNode() ? node.asText() : null;
    }

    static boolean bool(JsonNode root, String path) {
        JsonNode node = at(root, path);
        if (node != null && !node.isBoolean()) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field '" + path + "' must be true or false");
        }
        return node != null && node.asBoolean();
    }

    static int integer(JsonNode root, String path) {
        JsonNode node = at(root, path);
        if (node == null) {
            throw missing(path);
        }
        if (!node.canConvertToInt()) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field '" + path + "' must be a number");
        }
        return node.asInt();
    }

    /** A time given as epoch seconds or as ISO-8601 text; null when absent. */
    static Instant time(JsonNode root, String path) {
        JsonNode node = at(root, path);
        if (node == null) {
            return null;
        }
        try {
            if (node.isNumber()) {
                return Instant.ofEpochSecond(node.asLong());
            }
            return java.time.OffsetDateTime.parse(node.asText()).toInstant();
        } catch (DateTimeException e) {
            // A parse error, or a number of seconds beyond what an Instant holds (1e30).
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field '" + path + "' is not a time: " + node.asText());
        }
    }

    static RelayException missing(String path) {
        return new RelayException(Reason.MALFORMED_PAYLOAD, "The field '" + path + "' is missing");
    }
}
