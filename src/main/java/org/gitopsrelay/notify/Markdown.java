package org.gitopsrelay.notify;

import java.util.regex.Pattern;

/**
 * Makes text that came from outside (branch names, authors, reasons that quote them, Kustomize errors) safe to put
 * in a Mattermost post: no link, image, heading, table or mention can be injected, and nothing is unbounded.
 */
final class Markdown {

    private static final Pattern SPECIAL = Pattern.compile("([\\\\`*_~\\[\\]()<>|!])");
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{7,64}");
    /** A word joiner after '@' stops Mattermost from reading @channel, @all or @someone as a mention. */
    private static final String UNMENTION = "@\u2060";

    private Markdown() {
    }

    /** Inline text: one line, Markdown escaped, mentions broken, at most {@code max} characters. */
    static String plain(String text, int max) {
        if (text == null) {
            return "";
        }
        String line = truncate(text.replaceAll("[\\r\\n\\t]+", " ").strip(), max);
        // Bare addresses are linked by Mattermost: break the scheme so a quoted URL stays text.
        return SPECIAL.matcher(line).replaceAll("\\\\$1").replace("@", UNMENTION).replace("://", ":\u2060//")
                .replaceAll("(?i)www\\.", "www\u2060.");
    }

    /** A code span: nothing inside is formatted; backticks cannot close it early. */
    static String code(String text, int max) {
        if (text == null) {
            return "";
        }
        String line = truncate(text.replaceAll("[\\r\\n\\t]+", " ").replace('`', '\''), max);
        return "`" + line.replace("@", UNMENTION) + "`";
    }

    /** A fenced block for multi-line output such as Kustomize's error; fences inside are defused. */
    static String block(String text, int max) {
        if (text == null || text.isBlank()) {
            return "";
        }
        return "```\n" + truncate(text, max).replace("```", "'''").replace("@", UNMENTION) + "\n```";
    }

    /** The first 7 characters of a commit SHA, or "" when it is not one. */
    static String shortSha(String sha) {
        return sha != null && SHA.matcher(sha).matches() ? sha.substring(0, 7) : "";
    }

    /** A link whose address the relay built from validated parts; the label is escaped. */
    static String link(String label, String url) {
        return url == null ? label : "[" + label + "](" + url + ")";
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
