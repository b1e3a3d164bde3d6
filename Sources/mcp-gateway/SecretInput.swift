import Foundation

/// Reads a password: from the terminal with echo off, or one line of standard input when it is a pipe, so it
/// stays out of the shell history and the process list.
enum SecretInput {
    static func read(prompt: String) -> String? {
        if isatty(STDIN_FILENO) == 1 {
            return getpass(prompt).map { String(cString: $0) }
        }
        return readLine(strippingNewline: true)
    }
}
