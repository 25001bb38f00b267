package org.gitopsrelay.notify;

/** One post's content: a Markdown headline and a Markdown card shown in an attachment of the outcome's colour. */
public record Message(String headline, String card, String color) {

    static final String GREEN = "#2eb886";
    static final String RED = "#d0021b";
    static final String ORANGE = "#f5a623";
    static final String BLUE = "#1f78d1";
    static final String GREY = "#8a8a8a";

    /** The whole message as Markdown, for a reader without attachments. */
    public String text() {
        return card == null || card.isEmpty() ? headline : headline + "\n" + card;
    }

    /** The card as a Mattermost message attachment in the outcome's colour; none when there is no card. */
    public java.util.List<java.util.Map<String, Object>> attachments() {
        if (card == null || card.isEmpty()) {
            return java.util.List.of();
        }
        return java.util.List.of(java.util.Map.of("color", color, "text", card, "fallback", headline));
    }

    /** The message for a log line: one line, without Markdown's escapes, bold or mention breakers. */
    public String logText() {
        return text().replace("\n", " | ").replaceAll("\\\\([\\\\`*_~\\[\\]()<>|!])", "$1").replace("**", "")
                .replace("\u2060", "");
    }
}
