package org.gitopsrelay.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;

/**
 * How the fuzz tests read their input, so that a seed file stays readable and can be written by hand: the few
 * choices (an event name, a flag) are bytes taken from the end of the input, as {@link FuzzedDataProvider} does for
 * numbers; what is left is UTF-8 text, its fields separated by a NUL byte. A seed is thus its text fields joined by
 * {@code \0}, followed by one byte per choice, read from the last byte backwards.
 */
public final class FuzzFields {

    /**
     * How many inputs each fuzz test tries in {@code ./mvnw verify} (the {@code fuzz} execution of surefire), after
     * the seeds under {@code <TestClass>Inputs/}: a count, not a time, so that with the pom's fixed seed every build
     * tries the same inputs whatever the machine's speed (a second or two each here). {@code bench/fuzz.sh} runs them
     * for longer, with a new seed each time.
     */
    public static final long IN_SUITE = 30_000;

    /** A bound on a slow machine, never reached on this one. */
    public static final String IN_SUITE_LIMIT = "60s";

    private FuzzFields() {
    }

    /**
     * The rest of the input as exactly {@code count} text fields; missing ones are empty, and the last one keeps any
     * further NUL bytes.
     */
    public static List<String> text(FuzzedDataProvider data, int count) {
        String text = new String(data.consumeRemainingAsBytes(), StandardCharsets.UTF_8);
        String[] fields = Arrays.copyOf(text.split("\0", count), count);
        for (int i = 0; i < count; i++) {
            if (fields[i] == null) {
                fields[i] = "";
            }
        }
        return List.of(fields);
    }

    /**
     * Whether {@code path}, a path in the GitOps repository, is {@code folder} or lies under it: relative, already
     * normal (no {@code .} or {@code ..} segment, no empty segment, no backslash), so that no reader of the path
     * resolves it anywhere else.
     */
    public static boolean isInside(String path, String folder) {
        if (path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0")) {
            return false;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        Path normal = Path.of(path).normalize();
        return !normal.isAbsolute() && normal.toString().equals(path) && normal.startsWith(Path.of(folder));
    }
}
