package org.gitopsrelay.preview;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The name of a preview: a DNS-1123 label that is its folder under {@code apps/<app>/previews/}, the last part of
 * its namespace {@code <app>-<slug>} (at most 63 characters in all) and the first label of its host. Made from
 * untrusted input (a branch name), so only letters, digits and dashes survive; it is never a path.
 *
 * <p>A pull request's slug is {@code pr-<number>}. A branch's slug is {@code br-} and the branch reduced to
 * {@code [a-z0-9-]}; when that loses information (case, punctuation, accents, length) a short hash of the exact
 * branch name is appended, so that two branches never share a slug and a branch always gets the same one.
 */
public final class PreviewSlug {

    /** Longest namespace Kubernetes accepts. */
    public static final int MAX_NAMESPACE = 63;
    private static final int HASH_CHARS = 6;
    private static final java.util.regex.Pattern HASHED = java.util.regex.Pattern.compile("(^|-)[0-9a-f]{6}$");

    private PreviewSlug() {
    }

    public static String forPullRequest(int number) {
        if (number <= 0) {
            throw new IllegalArgumentException("not a pull request number: " + number);
        }
        return "pr-" + number;
    }

    public static String forBranch(String app, String branch) {
        if (branch == null || branch.isEmpty()) {
            throw new IllegalArgumentException("empty branch name");
        }
        int room = MAX_NAMESPACE - app.length() - 1 - "br-".length();
        if (room < HASH_CHARS + 2) {
            throw new IllegalArgumentException("app name " + app + " leaves no room for a preview name");
        }
        String reduced = reduce(branch);
        // A plain name that already ends like a hash suffix gets one too: no exact slug can equal a hashed one.
        boolean exact = reduced.equals(branch) && reduced.length() <= room && !HASHED.matcher(reduced).find();
        if (exact) {
            return "br-" + reduced;
        }
        String hash = hash(branch);
        int keep = Math.min(reduced.length(), room - HASH_CHARS - 1);
        String head = trimDashes(reduced.substring(0, keep));
        return "br-" + (head.isEmpty() ? "" : head + "-") + hash;
    }

    /** Lower case letters, digits and single inner dashes; accents folded, anything else a dash. */
    static String reduce(String name) {
        String folded = Normalizer.normalize(name, Normalizer.Form.NFKD).replaceAll("\\p{M}+", "");
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < folded.length(); i++) {
            char c = Character.toLowerCase(folded.charAt(i));
            boolean ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
            if (ok) {
                out.append(c);
            } else if (out.length() > 0 && out.charAt(out.length() - 1) != '-') {
                out.append('-');
            }
        }
        return trimDashes(out.toString());
    }

    private static String trimDashes(String text) {
        return text.replaceAll("^-+", "").replaceAll("-+$", "");
    }

    private static String hash(String branch) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(branch.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, HASH_CHARS).toLowerCase(Locale.ROOT);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
