package org.gitopsrelay.app;

import java.util.regex.Pattern;

/**
 * A branch or tag name pattern from app.yaml: {@code *} matches any run of characters (slashes included), {@code ?}
 * one character, everything else itself.
 */
public record RefPattern(String glob) {

    public RefPattern {
        if (glob == null || glob.isBlank()) {
            throw new IllegalArgumentException("empty ref pattern");
        }
    }

    public boolean matches(String refName) {
        return refName != null && regex().matcher(refName).matches();
    }

    private Pattern regex() {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(regex.toString());
    }

    @Override
    public String toString() {
        return glob;
    }
}
