package org.gitopsrelay.render;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Finds what a Kustomize tree would fetch from the network: remote resources, bases and components
 * ({@code https://…}, {@code github.com/org/repo//dir?ref=…}, {@code git::…}, {@code git@host:…}) and Helm charts.
 * An overlay renders from the GitOps repository alone, so each is refused before Kustomize runs and no request
 * leaves the service.
 */
final class RemoteReferences {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> FILE_NAMES = Set.of("kustomization.yaml", "kustomization.yml", "Kustomization");
    private static final List<String> LISTS = List.of("resources", "bases", "components", "crds", "generators",
            "transformers", "validators", "configurations");
    /** A first path segment with a dot, as a host has ({@code github.com/…}), unlike {@code ../base} or {@code app}. */
    private static final Pattern HOST_PATH = Pattern.compile("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+(:\\d+)?/.+");

    private RemoteReferences() {
    }

    /** Every remote reference in the kustomization files below {@code root}, as "file: reference". */
    static List<String> in(Path root) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(f -> FILE_NAMES.contains(f.getFileName().toString()))
                    .sorted()::iterator) {
                JsonNode kustomization = read(file);
                String name = root.relativize(file).toString();
                for (String list : LISTS) {
                    for (JsonNode entry : kustomization.path(list)) {
                        if (entry.isTextual() && isRemote(entry.asText())) {
                            found.add(name + ": " + list + " '" + entry.asText() + "'");
                        }
                    }
                }
                if (kustomization.has("helmCharts") || kustomization.has("helmChartInflationGenerator")) {
                    found.add(name + ": helmCharts (charts are fetched from a repository)");
                }
                String openapi = kustomization.path("openapi").path("path").asText("");
                if (isRemote(openapi)) {
                    found.add(name + ": openapi '" + openapi + "'");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    static boolean isRemote(String reference) {
        String ref = reference.trim();
        return ref.contains("://") || ref.startsWith("git::") || ref.startsWith("git@") || ref.startsWith("ssh:")
                || HOST_PATH.matcher(ref).matches();
    }

    private static JsonNode read(Path file) throws IOException {
        try {
            JsonNode node = YAML.readTree(file.toFile());
            return node == null ? YAML.createObjectNode() : node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // Kustomize reports a file it cannot read better than this check could.
            return YAML.createObjectNode();
        }
    }
}
