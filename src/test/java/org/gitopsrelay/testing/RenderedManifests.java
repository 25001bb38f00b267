package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.gitopsrelay.render.KustomizeRenderer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The objects a shipped Kustomize folder renders to with the real Kustomize, to assert on as a user would apply them. */
public final class RenderedManifests {

    private static final ObjectReader YAML_DOCS = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class);

    private final List<JsonNode> objects;

    private RenderedManifests(List<JsonNode> objects) {
        this.objects = objects;
    }

    /** Renders {@code dir}; {@code scratch} is a data dir the renderer may use. */
    public static RenderedManifests of(Path dir, Path scratch) {
        String yaml = new KustomizeRenderer(TestConfig.relay(scratch), new SimpleMeterRegistry()).render(dir);
        List<JsonNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML_DOCS.readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && doc.isObject()) {
                    objects.add(doc);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Kustomize rendered " + dir + " as YAML that does not parse", e);
        }
        return new RenderedManifests(List.copyOf(objects));
    }

    public List<JsonNode> ofKind(String kind) {
        return objects.stream().filter(object -> kind.equals(object.path("kind").asText())).toList();
    }

    /** The object of that kind and name; fails the test, naming what there is, when it is not rendered. */
    public JsonNode one(String kind, String name) {
        return ofKind(kind).stream().filter(object -> name.equals(object.path("metadata").path("name").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("No " + kind + " named " + name + " rendered; "
                        + kind + " objects: " + ofKind(kind).stream().map(RenderedManifests::name).toList()));
    }

    public static String name(JsonNode object) {
        return object.path("metadata").path("name").asText();
    }

    /** A label map ({@code matchLabels}, {@code metadata.labels}, a Service's {@code selector}) as a sorted map. */
    public static Map<String, String> labels(JsonNode labels) {
        Map<String, String> map = new TreeMap<>();
        labels.fields().forEachRemaining(entry -> map.put(entry.getKey(), entry.getValue().asText()));
        return map;
    }

    /** Whether every pair of {@code selector} is among {@code labels}: the Kubernetes meaning of "selects". */
    public static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }
}
