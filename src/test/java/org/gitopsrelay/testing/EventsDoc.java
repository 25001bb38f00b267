package org.gitopsrelay.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.OutcomeEvent;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * docs/events.md, read as a test reads it: a section per event type with a JSON example. Real records seen by the
 * end-to-end tests are checked against it (every field a real record carries is in the example) and saved under
 * {@code target/event-samples/}, where the examples of the page come from.
 */
public final class EventsDoc {

    public static final Path PAGE = Path.of("docs/events.md");
    private static final Path SAMPLES = Path.of("target/event-samples");
    private static final Set<String> ENVELOPE = Set.of("specversion", "id", "source", "type", "subject", "time",
            "datacontenttype", "data");

    private EventsDoc() {
    }

    public static String page() {
        try {
            return Files.readString(PAGE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The JSON example of a type's section, if the page has one. */
    public static Optional<JsonNode> example(String type) {
        String page = page();
        int heading = page.indexOf("### `" + type + "`");
        if (heading < 0) {
            return Optional.empty();
        }
        int start = page.indexOf("```json\n", heading);
        int next = page.indexOf("\n### ", heading + 1);
        if (start < 0 || (next >= 0 && start > next)) {
            return Optional.empty();
        }
        int end = page.indexOf("\n```", start + 8);
        try {
            return Optional.of(EventCodec.JSON.readTree(page.substring(start + 8, end)));
        } catch (IOException e) {
            throw new AssertionError("The example of " + type + " in docs/events.md is not JSON: " + e.getMessage());
        }
    }

    /** Every real outcome record seen: its example must show each field it has. Saves one sample per type. */
    public static void checkAgainstRealRecords(List<ConsumerRecord<String, String>> records) {
        records.forEach(EventsDoc::saveSample);
        for (ConsumerRecord<String, String> record : records) {
            JsonNode real;
            try {
                real = EventCodec.JSON.readTree(record.value());
            } catch (IOException e) {
                continue;
            }
            String type = real.path("type").asText();
            if (OutcomeEvent.classOf(type).isEmpty() || !readable(record.value())) {
                continue;
            }
            JsonNode example = example(type).orElseThrow(() -> new AssertionError(
                    "docs/events.md has no example for " + type));
            assertThat(paths(example)).as("fields of a real %s record, all shown in docs/events.md", type)
                    .containsAll(paths(real));
        }
    }

    /** The field paths a type may have: the CloudEvents envelope, and {@code data.} plus its record's components. */
    public static Set<String> allowedPaths(Class<?> type) {
        Set<String> paths = new TreeSet<>(ENVELOPE);
        collect(type, "data", paths);
        return paths;
    }

    private static void collect(Class<?> type, String prefix, Set<String> paths) {
        for (RecordComponent component : type.getRecordComponents()) {
            String path = prefix + "." + component.getName();
            paths.add(path);
            if (component.getType().isRecord()) {
                collect(component.getType(), path, paths);
            } else if (component.getGenericType() instanceof ParameterizedType) {
                // No collections in events today; a new one must be listed by hand in this check.
                throw new AssertionError("unexpected generic field " + path);
            }
        }
    }

    public static Set<String> paths(JsonNode node) {
        Set<String> paths = new TreeSet<>();
        walk(node, "", paths);
        return paths;
    }

    private static void walk(JsonNode node, String prefix, Set<String> paths) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String path = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
            paths.add(path);
            if (field.getValue().isObject()) {
                walk(field.getValue(), path, paths);
            }
        }
    }

    /** Records a test crafted to be unreadable are not examples of anything. */
    private static boolean readable(String value) {
        try {
            EventCodec.outcome(EventCodec.decode(value));
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void saveSample(ConsumerRecord<String, String> record) {
        if (!readable(record.value())) {
            return;
        }
        try {
            String type = EventCodec.JSON.readTree(record.value()).path("type").asText();
            if (OutcomeEvent.classOf(type).isEmpty()) {
                return;
            }
            String value = record.value();
            Files.createDirectories(SAMPLES);
            Path file = SAMPLES.resolve(type + ".json");
            // The richest record of each type makes the best example.
            if (!Files.exists(file) || paths(EventCodec.JSON.readTree(value)).size() > paths(EventCodec.JSON
                    .readTree(Files.readString(file))).size()) {
                Files.writeString(file, EventCodec.JSON.writerWithDefaultPrettyPrinter()
                        .writeValueAsString(EventCodec.JSON.readTree(value)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
