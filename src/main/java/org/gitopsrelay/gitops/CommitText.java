package org.gitopsrelay.gitops;

/** Text from a webhook made safe for a commit message: one line, no control characters, bounded. */
public final class CommitText {

    private static final int MAX = 120;

    private CommitText() {
    }

    /** A newline here could forge a {@code Relay-Event:} trailer; it becomes a space. */
    public static String oneLine(String text) {
        if (text == null || text.isBlank()) {
            return "(unknown)";
        }
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c)
                || Character.getType(c) == Character.LINE_SEPARATOR
                || Character.getType(c) == Character.PARAGRAPH_SEPARATOR ? ' ' : c));
        String line = out.toString().strip();
        return line.length() <= MAX ? line : line.substring(0, MAX) + "…";
    }
}
