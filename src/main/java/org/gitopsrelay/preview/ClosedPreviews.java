package org.gitopsrelay.preview;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

/**
 * {@code apps/<app>/previews-closed.yaml}: when each recently closed preview was closed. Webhooks arrive out of
 * order and are redelivered; without this record, a late "opened" or "synchronize" of a pull request that is
 * already closed would bring its preview back. Entries older than a limit are dropped, so the file stays small.
 */
final class ClosedPreviews {

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

    private final Map<String, Instant> closedAt;

    private ClosedPreviews(Map<String, Instant> closedAt) {
        this.closedAt = closedAt;
    }

    static String path(String app) {
        return "apps/" + app + "/previews-closed.yaml";
    }

    /**
     * The closings on record; one later than {@code latestTrusted} (written before times were clamped, or by hand)
     * cannot order anything and is dropped, as it would hold the slug closed for ever.
     */
    static ClosedPreviews parse(Optional<String> yaml, Instant latestTrusted) {
        Map<String, Instant> entries = new TreeMap<>();
        if (yaml.isPresent()) {
            try {
                JsonNode closed = YAML.readTree(yaml.get()).path("closed");
                closed.fields().forEachRemaining(entry -> {
                    try {
                        Instant at = Instant.parse(entry.getValue().asText());
                        if (!at.isAfter(latestTrusted)) {
                            entries.put(entry.getKey(), at);
                        }
                    } catch (DateTimeParseException e) {
                        // An entry someone mangled by hand protects nothing; it is dropped at the next write.
                    }
                });
            } catch (IOException e) {
                // Same: the file is rewritten whole at the next close.
            }
        }
        return new ClosedPreviews(entries);
    }

    /**
     * True when {@code slug} was closed at or after {@code activityAt}: the request is older than the closing. Times
     * have whole seconds; a reopening in the same second as the closing comes after it.
     */
    boolean closedSince(String slug, Instant activityAt, boolean reopening) {
        Instant closed = closedAt.get(slug);
        if (closed == null || activityAt == null) {
            return false;
        }
        return reopening ? activityAt.isBefore(closed) : !activityAt.isAfter(closed);
    }

    boolean contains(String slug) {
        return closedAt.containsKey(slug);
    }

    ClosedPreviews close(String slug, Instant at) {
        Map<String, Instant> next = new TreeMap<>(closedAt);
        next.merge(slug, at, (a, b) -> a.isAfter(b) ? a : b);
        return new ClosedPreviews(next);
    }

    ClosedPreviews reopen(String slug) {
        Map<String, Instant> next = new TreeMap<>(closedAt);
        next.remove(slug);
        return new ClosedPreviews(next);
    }

    /** Drops what was closed before {@code now - keep}. */
    ClosedPreviews prune(Instant now, Duration keep) {
        Map<String, Instant> next = new TreeMap<>(closedAt);
        next.values().removeIf(at -> at.isBefore(now.minus(keep)));
        return new ClosedPreviews(next);
    }

    String toYaml() {
        ObjectNode root = YAML.createObjectNode();
        ObjectNode closed = root.putObject("closed");
        closedAt.forEach((slug, at) -> closed.put(slug, at.toString()));
        try {
            return YAML.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
