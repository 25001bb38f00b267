package org.gitopsrelay.gitops;

import java.io.IOException;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;

/**
 * A {@code kustomization.yaml}, edited as a YAML tree and written back with a YAML library: values from the outside
 * world can never break out of the field they are put in. The service touches only {@code namespace},
 * {@code images} and its own annotations under {@code metadata}; the rest is kept in its order (comments are not).
 */
public final class KustomizationFile {

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .stringQuotingChecker(new QuoteNumberLikeValues())
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .build())
            // A number the file holds is written back as it was read: as a double, 1.10 would come back as 1.1 and
            // 9e99999 as Infinity, which no YAML reader takes for a number (found by KustomizationFileFuzzTest).
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true));

    /**
     * Quotes every value that a YAML reader might take for a number ({@code 1234e56}, {@code 0x1f}, {@code 1_000},
     * {@code 1:20}): an image tag or a commit must stay a string.
     */
    private static final class QuoteNumberLikeValues extends StringQuotingChecker.Default {
        private static final java.util.regex.Pattern NUMBER_LIKE = java.util.regex.Pattern
                .compile("[-+]?[.0-9][0-9A-Za-z_.:+-]*");

        @Override
        public boolean needToQuoteValue(String value) {
            return super.needToQuoteValue(value) || NUMBER_LIKE.matcher(value).matches();
        }
    }

    /** Prefix of the annotations the service keeps in an overlay's own metadata (never rendered into objects). */
    public static final String ANNOTATION_PREFIX = "gitops-relay.io/";

    private final ObjectNode root;

    private KustomizationFile(ObjectNode root) {
        this.root = root;
    }

    public static KustomizationFile parse(String yaml) {
        try {
            JsonNode node = YAML.readTree(yaml);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("a kustomization.yaml must be a YAML mapping");
            }
            return new KustomizationFile((ObjectNode) node);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid YAML: " + e.getOriginalMessage(), e);
        }
    }

    /** The file, or empty when it is not a readable Kustomization (a person broke it): for reads that tolerate it. */
    public static Optional<KustomizationFile> tryParse(String yaml) {
        try {
            return Optional.of(parse(yaml));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public Optional<String> namespace() {
        return Optional.ofNullable(root.get("namespace")).filter(JsonNode::isTextual).map(JsonNode::asText);
    }

    public KustomizationFile namespace(String namespace) {
        root.put("namespace", namespace);
        return this;
    }

    /** The {@code newTag} of the {@code images:} entry named {@code name}. */
    public Optional<String> imageTag(String name) {
        return imageEntry(name).map(entry -> entry.path("newTag").asText(null));
    }

    /** Points the {@code images:} entry named {@code name} at {@code newName:newTag}, adding the entry if needed. */
    public KustomizationFile image(String name, String newName, String newTag) {
        ObjectNode entry = imageEntry(name).orElseGet(() -> {
            JsonNode images = root.get("images");
            ArrayNode list = images instanceof ArrayNode array ? array : root.putArray("images");
            ObjectNode created = list.addObject();
            created.put("name", name);
            return created;
        });
        entry.remove("digest");
        entry.put("newName", newName);
        entry.put("newTag", newTag);
        return this;
    }

    private Optional<ObjectNode> imageEntry(String name) {
        JsonNode images = root.get("images");
        if (images instanceof ArrayNode array) {
            for (JsonNode entry : array) {
                if (entry instanceof ObjectNode object && name.equals(object.path("name").asText(null))) {
                    return Optional.of(object);
                }
            }
        }
        return Optional.empty();
    }

    public Optional<String> annotation(String key) {
        JsonNode value = root.path("metadata").path("annotations").get(ANNOTATION_PREFIX + key);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    /** Sets the annotation, or removes it when {@code value} is null. */
    public KustomizationFile annotation(String key, String value) {
        if (value == null) {
            JsonNode annotations = root.path("metadata").get("annotations");
            if (annotations instanceof ObjectNode map) {
                map.remove(ANNOTATION_PREFIX + key);
            }
            return this;
        }
        JsonNode metadata = root.get("metadata");
        ObjectNode meta = metadata instanceof ObjectNode object ? object : root.putObject("metadata");
        JsonNode annotations = meta.get("annotations");
        ObjectNode map = annotations instanceof ObjectNode object ? object : meta.putObject("annotations");
        map.put(ANNOTATION_PREFIX + key, value);
        return this;
    }

    /** Direct access for the few edits that need more than the methods above (labels, patches). */
    public ObjectNode tree() {
        return root;
    }

    public String toYaml() {
        try {
            return YAML.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot write kustomization.yaml", e);
        }
    }
}
