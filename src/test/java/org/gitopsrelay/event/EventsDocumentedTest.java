package org.gitopsrelay.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;

import org.gitopsrelay.testing.EventsDoc;
import org.junit.jupiter.api.Test;

/** docs/events.md describes every type published on relay.deployments with its fields and a valid example. */
class EventsDocumentedTest {

    @Test
    void everyTypeHasASectionListingEachFieldAndAnExampleOfThatShape() {
        String page = EventsDoc.page();
        for (Class<?> type : OutcomeEvent.class.getPermittedSubclasses()) {
            if (type.isInterface()) {
                for (Class<?> preview : type.getPermittedSubclasses()) {
                    checkSection(page, preview);
                }
            } else {
                checkSection(page, type);
            }
        }
    }

    private static void checkSection(String page, Class<?> type) {
        String eventType = eventType(type);
        assertThat(page).as("a section for " + eventType).contains("### `" + eventType + "`");
        String section = page.substring(page.indexOf("### `" + eventType + "`"));
        int next = section.indexOf("\n### ", 5);
        section = next < 0 ? section : section.substring(0, next);
        java.util.List<String> firstCells = section.lines().filter(line -> line.startsWith("| `"))
                .map(line -> line.substring(1, line.indexOf('|', 1))).toList();
        for (RecordComponent component : type.getRecordComponents()) {
            assertThat(firstCells).as("field %s of %s listed in its table", component.getName(), eventType)
                    .anyMatch(cell -> cell.contains("`" + component.getName() + "`"));
        }
        var example = EventsDoc.example(eventType).orElseThrow(() -> new AssertionError("no example for "
                + eventType));
        assertThat(example.path("type").asText()).isEqualTo(eventType);
        assertThat(EventsDoc.allowedPaths(type)).as("fields of the example of " + eventType)
                .containsAll(EventsDoc.paths(example));
        OutcomeEvent decoded = EventCodec.outcome(EventCodec.decode(example.toString())).orElseThrow();
        assertThat(decoded).isInstanceOf(type);
    }

    private static String eventType(Class<?> type) {
        return Arrays.stream(new String[] { EventTypes.DEPLOYMENT_COMMITTED, EventTypes.DEPLOYMENT_FAILED,
                EventTypes.DEPLOYMENT_ROLLEDBACK, EventTypes.DEPLOYMENT_RESTARTED,
                EventTypes.PREVIEW_CREATED, EventTypes.PREVIEW_UPDATED, EventTypes.PREVIEW_DELETED,
                EventTypes.PREVIEW_EXPIRED, EventTypes.PREVIEW_REFUSED, EventTypes.APP_INVALID })
                .filter(name -> OutcomeEvent.classOf(name).orElseThrow().equals(type)).findFirst()
                .orElseThrow(() -> new AssertionError("no type name for " + type));
    }
}
