package org.gitopsrelay.app;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.gitopsrelay.event.GitChange.RefKind;
import org.gitopsrelay.event.SourceRepo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Reads and validates an {@code app.yaml}. Every problem is collected, so that one look at the error tells the
 * team all that is wrong with their file. The format is documented in {@code docs/app-yaml.md}.
 */
public final class AppSpecParser {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> TOP_LEVEL = Set.of("name", "source", "image", "environments", "previews",
            "database", "notifications");
    private static final java.util.regex.Pattern CHANNEL_ID = java.util.regex.Pattern.compile("[a-z0-9]{26}");
    private static final java.util.regex.Pattern WEBHOOK_NAME = java.util.regex.Pattern
            .compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Set<String> DATABASE_KEYS = Set.of("engine", "backups");
    private static final java.util.regex.Pattern ABSOLUTE_PATH = java.util.regex.Pattern.compile("(/[A-Za-z0-9._-]+)+");
    private static final Set<String> PREVIEW_KEYS = Set.of("pullRequests", "branches", "domain", "ttl", "max", "forks",
            "imageTag");
    private static final java.util.regex.Pattern DOMAIN = java.util.regex.Pattern
            .compile("([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Set<String> SOURCE_KEYS = Set.of("repository");
    private static final Set<String> IMAGE_KEYS = Set.of("repository", "name", "tag");
    private static final Set<String> ENVIRONMENT_KEYS = Set.of("branch", "tag", "imageTag", "frozen");
    /** Without an {@code environments:} section, an app gets the design's defaults. */
    private static final Map<String, String[]> DEFAULT_ENVIRONMENTS = Map.of(
            "staging", new String[] { "branch", "main" },
            "production", new String[] { "tag", "v*" });

    /** A commit SHA as GitHub, GitLab and Gitea send it today (SHA-1). */
    private static final String SHA = "a".repeat(40);

    private AppSpecParser() {
    }

    /**
     * The source repository an app.yaml names, whatever else is wrong with it: closings of that repository still
     * reach the previews of an app left out of the registry.
     */
    public static java.util.Optional<SourceRepo> sourceOf(String yaml) {
        try {
            JsonNode root = YAML.readTree(yaml);
            String repository = root == null ? null : text(root.path("source"), "repository");
            return repository == null ? java.util.Optional.empty() : java.util.Optional.of(SourceRepo.parse(repository));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** Parses the app.yaml of the app in folder {@code apps/<app>/}. */
    public static AppSpec parse(String app, String yaml) throws InvalidAppException {
        String path = "apps/" + app + "/app.yaml";
        List<String> problems = new ArrayList<>();
        if (!Names.isDnsLabel(app, 40)) {
            problems.add("the folder name '" + app + "' is not a valid app name"
                    + " (lower case letters, digits and '-', at most 40 characters)");
            throw new InvalidAppException(path, problems);
        }
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new InvalidAppException(path, List.of("not valid YAML: " + firstLine(e.getMessage())));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidAppException(path, List.of("must be a YAML mapping"));
        }
        unknownKeys(root, TOP_LEVEL, "", problems);
        unknownKeys(root.path("source"), SOURCE_KEYS, "source.", problems);
        unknownKeys(root.path("image"), IMAGE_KEYS, "image.", problems);

        String name = text(root, "name");
        if (name != null && !name.equals(app)) {
            problems.add("name '" + name + "' differs from its folder '" + app + "'");
        }

        SourceRepo source = null;
        String repository = text(root.path("source"), "repository");
        if (repository == null) {
            problems.add("source.repository is required (e.g. github.com/example/shop)");
        } else {
            try {
                source = SourceRepo.parse(repository);
            } catch (IllegalArgumentException e) {
                problems.add("source.repository: " + e.getMessage());
            }
        }

        JsonNode imageNode = root.path("image");
        String image = text(imageNode, "repository");
        if (image == null) {
            problems.add("image.repository is required (e.g. registry.example.org/example/shop)");
        } else if (!Names.isImage(image)) {
            problems.add("image.repository '" + image + "' is not an image name without tag");
        }
        String imageName = orDefault(text(imageNode, "name"), AppSpec.DEFAULT_IMAGE_NAME);
        String defaultTag = orDefault(text(imageNode, "tag"), AppSpec.DEFAULT_IMAGE_TAG);
        checkTemplate("image.tag", defaultTag, problems);

        List<EnvironmentSpec> environments = environments(app, root.get("environments"), defaultTag, problems);
        PreviewSettings previews = previews(root.get("previews"), defaultTag, problems);
        java.util.Optional<DatabaseSettings> database = database(root.get("database"), problems);
        NotificationSettings notifications = notifications(root.get("notifications"), problems);
        if (environments.isEmpty() && !previews.enabled() && problems.isEmpty()) {
            problems.add("the app deploys nothing: declare an environment, or previews");
        }

        if (!problems.isEmpty()) {
            throw new InvalidAppException(path, problems);
        }
        return new AppSpec(app, source, image, imageName, environments, previews, database, notifications);
    }

    private static NotificationSettings notifications(JsonNode node, List<String> problems) {
        if (node == null || node.isNull()) {
            return NotificationSettings.DEFAULT;
        }
        if (!node.isObject()) {
            problems.add("notifications must be a mapping");
            return NotificationSettings.DEFAULT;
        }
        unknownKeys(node, Set.of("mattermost"), "notifications.", problems);
        JsonNode mattermost = node.path("mattermost");
        if (mattermost.isMissingNode() || mattermost.isNull()) {
            return NotificationSettings.DEFAULT;
        }
        if (!mattermost.isObject()) {
            problems.add("notifications.mattermost must be a mapping");
            return NotificationSettings.DEFAULT;
        }
        mattermost.fieldNames().forEachRemaining(key -> {
            if (key.equals("webhook-url") || key.equals("webhookUrl") || key.equals("token") || key.equals("url")) {
                problems.add("notifications.mattermost." + key + ": a Mattermost URL or token is a secret and never"
                        + " lives in Git; configure it as relay.mattermost.webhooks.<name> and write"
                        + " 'webhook: <name>' here");
            } else if (!key.equals("channel-id") && !key.equals("webhook")) {
                problems.add("unknown key 'notifications.mattermost." + key + "'");
            }
        });
        String channel = text(mattermost, "channel-id");
        if (channel != null && !CHANNEL_ID.matcher(channel).matches()) {
            problems.add("notifications.mattermost.channel-id '" + channel + "' is not a Mattermost channel id"
                    + " (26 lower-case letters and digits)");
        }
        String webhook = text(mattermost, "webhook");
        if (webhook != null && !WEBHOOK_NAME.matcher(webhook).matches()) {
            problems.add("notifications.mattermost.webhook '" + webhook + "' is not a webhook name"
                    + " (lower-case letters, digits and '-')");
        }
        return new NotificationSettings(java.util.Optional.ofNullable(channel), java.util.Optional.ofNullable(webhook));
    }

    private static java.util.Optional<DatabaseSettings> database(JsonNode node, List<String> problems) {
        if (node == null || node.isNull()) {
            return java.util.Optional.empty();
        }
        if (!node.isObject()) {
            problems.add("database must be a mapping");
            return java.util.Optional.empty();
        }
        unknownKeys(node, DATABASE_KEYS, "database.", problems);
        String engine = orDefault(text(node, "engine"), DatabaseSettings.POSTGRESQL);
        if (!engine.equals(DatabaseSettings.POSTGRESQL)) {
            problems.add("database.engine '" + engine + "' is not supported (postgresql)");
        }
        String backups = orDefault(text(node, "backups"), DatabaseSettings.DEFAULT_BACKUPS);
        if (!ABSOLUTE_PATH.matcher(backups).matches() || backups.contains("/../") || backups.endsWith("/..")) {
            problems.add("database.backups '" + backups + "' is not an absolute folder path");
        }
        return java.util.Optional.of(new DatabaseSettings(engine, backups));
    }

    private static PreviewSettings previews(JsonNode node, String defaultTag, List<String> problems) {
        if (node == null || node.isNull()) {
            return PreviewSettings.none(defaultTag);
        }
        if (!node.isObject()) {
            problems.add("previews must be a mapping");
            return PreviewSettings.none(defaultTag);
        }
        unknownKeys(node, PREVIEW_KEYS, "previews.", problems);
        boolean pullRequests = bool(node, "pullRequests", false, problems);
        boolean forks = bool(node, "forks", false, problems);
        String branches = text(node, "branches");
        String domain = text(node, "domain");
        // <slug>.<app>.<domain> must stay within the 253 characters of a DNS name.
        if (domain != null && (domain.length() > 189 || !DOMAIN.matcher(domain).matches())) {
            problems.add("previews.domain '" + domain + "' is not a DNS domain");
        }
        java.time.Duration ttl = PreviewSettings.DEFAULT_TTL;
        String ttlText = text(node, "ttl");
        if (ttlText != null) {
            try {
                ttl = java.time.Duration.parse(ttlText);
                if (ttl.isNegative() || ttl.isZero()) {
                    problems.add("previews.ttl must be positive");
                }
            } catch (java.time.format.DateTimeParseException e) {
                problems.add("previews.ttl '" + ttlText + "' is not an ISO-8601 duration (e.g. P7D, PT12H)");
            }
        }
        int max = PreviewSettings.DEFAULT_MAX;
        JsonNode maxNode = node.get("max");
        if (maxNode != null) {
            if (!maxNode.canConvertToInt() || maxNode.asInt() < 1) {
                problems.add("previews.max must be a whole number of at least 1");
            } else {
                max = maxNode.asInt();
            }
        }
        String imageTag = orDefault(text(node, "imageTag"), defaultTag);
        checkTemplate("previews.imageTag", imageTag, problems);
        if (imageTag.contains("{tag}")) {
            problems.add("previews.imageTag cannot use {tag}: previews follow branches");
        }
        return new PreviewSettings(pullRequests, java.util.Optional.ofNullable(branches).map(RefPattern::new),
                java.util.Optional.ofNullable(domain), ttl, max, forks, imageTag);
    }

    private static boolean bool(JsonNode node, String field, boolean fallback, List<String> problems) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            problems.add("previews." + field + " must be true or false");
            return fallback;
        }
        return value.asBoolean();
    }

    private static List<EnvironmentSpec> environments(String app, JsonNode node, String defaultTag,
            List<String> problems) {
        Map<String, JsonNode> declared = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            for (String env : List.of("staging", "production")) {
                ObjectNode synthetic = YAML.createObjectNode();
                synthetic.put(DEFAULT_ENVIRONMENTS.get(env)[0], DEFAULT_ENVIRONMENTS.get(env)[1]);
                declared.put(env, synthetic);
            }
        } else if (!node.isObject()) {
            problems.add("environments must be a mapping of environment name to its settings");
            return List.of();
        } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> entry = it.next();
                declared.put(entry.getKey(), entry.getValue());
            }
        }
        List<EnvironmentSpec> result = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : declared.entrySet()) {
            String env = entry.getKey();
            JsonNode settings = entry.getValue();
            String where = "environments." + env;
            if (!Names.isDnsLabel(env, 20)) {
                problems.add(where + ": the name is not valid (lower case letters, digits and '-', at most 20)");
                continue;
            }
            if (env.startsWith("pr-") || env.startsWith("br-")) {
                problems.add(where + ": names starting with 'pr-' or 'br-' belong to previews");
                continue;
            }
            if (settings == null || !settings.isObject()) {
                problems.add(where + " must be a mapping with 'branch' or 'tag'");
                continue;
            }
            unknownKeys(settings, ENVIRONMENT_KEYS, where + ".", problems);
            String branch = text(settings, "branch");
            String tag = text(settings, "tag");
            if ((branch == null) == (tag == null)) {
                problems.add(where + " needs exactly one of 'branch' (a branch name or pattern) or 'tag' (a tag pattern)");
                continue;
            }
            String imageTag = orDefault(text(settings, "imageTag"), defaultTag);
            checkTemplate(where + ".imageTag", imageTag, problems);
            if (branch == null && imageTag.contains("{branch}")) {
                problems.add(where + ".imageTag uses {branch} but the environment follows tags");
            }
            if (tag == null && imageTag.contains("{tag}")) {
                problems.add(where + ".imageTag uses {tag} but the environment follows a branch");
            }
            // The namespace is always <app>-<env>: the Argo CD ApplicationSet derives it from the overlay's folder.
            String namespace = Namespaces.of(app, env);
            if (!Names.isDnsLabel(namespace, 63)) {
                problems.add(where + ": the namespace '" + namespace + "' would be longer than 63 characters");
            }
            boolean frozen = bool(settings, "frozen", false, problems);
            result.add(new EnvironmentSpec(env, branch != null ? RefKind.BRANCH : RefKind.TAG,
                    new RefPattern(branch != null ? branch : tag), imageTag, namespace, frozen));
        }
        return result;
    }

    private static void checkTemplate(String where, String template, List<String> problems) {
        // A template whose tags would be longer than the 128 characters of an image tag is refused here rather than
        // at every push. {sha} counts as a SHA-1 (what hosts send today, and what templates registered earlier were
        // checked against); a SHA-256 repository's longer tags are checked when each is rendered.
        String stripped = template.replace("{sha}", SHA).replace("{shortSha}", "a".repeat(7))
                .replace("{tag}", "a").replace("{branch}", "a");
        if (!Names.isImageTag(stripped)) {
            problems.add(where + " '" + template + "' is not an image tag template (letters, digits, '.', '_', '-'"
                    + " and the placeholders {sha}, {shortSha}, {tag}, {branch}; at most 128 characters with a"
                    + " 40-character {sha})");
        }
    }

    private static void unknownKeys(JsonNode node, Set<String> known, String prefix, List<String> problems) {
        node.fieldNames().forEachRemaining(key -> {
            if (!known.contains(key)) {
                problems.add("unknown key '" + prefix + key + "'");
            }
        });
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        if (value == null || value.isNull() || !value.isValueNode()) {
            return null;
        }
        String text = value.asText().trim();
        return text.isEmpty() ? null : text;
    }

    private static String orDefault(String value, String fallback) {
        return value == null ? fallback : value;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
