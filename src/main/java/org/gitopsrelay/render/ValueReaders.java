package org.gitopsrelay.render;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * The Kustomize features of an overlay, and of every folder it builds on, that read values or files into the output:
 * replacements and vars (which can copy an image tag anywhere, and fail on its shape), generators (which can render a
 * Kustomization file itself, annotations and all), plugins. An overlay without them sets an image's tag in image
 * fields alone, so that its render cannot succeed with one tag and fail with another.
 */
final class ValueReaders {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final List<String> FILE_NAMES = List.of("kustomization.yaml", "kustomization.yml", "Kustomization");
    private static final List<String> FEATURES = List.of("replacements", "vars", "transformers", "generators",
            "validators", "configurations", "configMapGenerator", "secretGenerator", "helmCharts",
            "helmChartInflationGenerator", "openapi");
    private static final List<String> REFERENCES = List.of("resources", "bases", "components");

    private ValueReaders() {
    }

    /**
     * What reads values, as "folder: feature", in the overlay at {@code overlay} and the folders it refers to, found
     * by following its resources, bases and components below {@code root}; a folder outside {@code root} counts too.
     */
    static List<String> in(Path overlay, Path root) {
        List<String> found = new ArrayList<>();
        Path top = root.toAbsolutePath().normalize();
        Deque<Path> todo = new ArrayDeque<>(List.of(overlay.toAbsolutePath().normalize()));
        Set<Path> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Path dir = todo.pop();
            if (!seen.add(dir)) {
                continue;
            }
            Path file = FILE_NAMES.stream().map(dir::resolve).filter(Files::isRegularFile).findFirst().orElse(null);
            if (file == null) {
                continue;
            }
            JsonNode kustomization = read(file);
            String name = top.relativize(dir).toString();
            FEATURES.stream().filter(kustomization::has).forEach(feature -> found.add(name + ": " + feature));
            for (String list : REFERENCES) {
                for (JsonNode entry : kustomization.path(list)) {
                    if (entry.isTextual()) {
                        Path next = dir.resolve(entry.asText()).normalize();
                        if (!next.startsWith(top)) {
                            found.add(name + ": " + list + " outside the app's folder");
                        } else if (Files.isDirectory(next)) {
                            todo.push(next);
                        }
                    }
                }
            }
        }
        return found;
    }

    private static JsonNode read(Path file) {
        try {
            JsonNode node = YAML.readTree(file.toFile());
            return node == null ? YAML.createObjectNode() : node;
        } catch (IOException e) {
            // Kustomize rendered it, so it is YAML; a file that cannot be read here is not reused.
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }
}
