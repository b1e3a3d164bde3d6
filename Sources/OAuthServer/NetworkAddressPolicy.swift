import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Server-side request forgery guard: which addresses the server may fetch client metadata from.
public enum NetworkAddressPolicy {
    public enum Kind: Sendable, Equatable {
        case global
        case loopback
        /// Private, link-local, shared, unspecified, multicast, documentation or otherwise reserved.
        case restricted
    }

    /// Classifies an IPv4 address given as its 4 bytes.
    public static func classify(ipv4 b: [UInt8]) -> Kind {
        guard b.count == 4 else { return .restricted }
        switch (b[0], b[1]) {
        case (127, _): return .loopback
        case (0, _), (10, _), (169, 254), (192, 168), (224...255, _): return .restricted
        case (172, 16...31), (100, 64...127), (198, 18...19): return .restricted
        case (192, 0) where b[2] == 0 || b[2] == 2: return .restricted
        case (198, 51) where b[2] == 100, (203, 0) where b[2] == 113: return .restricted
        default: return .global
        }
    }

    /// Classifies an IPv6 address given as its 16 bytes; IPv4-mapped and -compatible forms use the IPv4 rules.
    public static func classify(ipv6 b: [UInt8]) -> Kind {
        guard b.count == 16 else { return .restricted }
        if b[0..<15].allSatisfy({ $0 == 0 }) { return b[15] == 1 ? .loopback : .restricted }
        if b[0..<10].allSatisfy({ $0 == 0 }) && (b[10..<12].allSatisfy { $0 == 0xFF } || b[10..<12].allSatisfy { $0 == 0 }) {
            return classify(ipv4: Array(b[12..<16]))
        }
        if b[0] == 0x64 && b[1] == 0xFF && b[2] == 0x9B { return classify(ipv4: Array(b[12..<16])) }  // NAT64
        if b[0] & 0xFE == 0xFC { return .restricted }  // fc00::/7 unique local
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return .restricted }  // fe80::/10 link-local
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return .restricted }  // fec0::/10 site-local
        if b[0] == 0xFF { return .restricted }  // multicast
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return .restricted }  // documentation
        return .global
    }

    /// The kind of a literal IP address, or nil when `host` is a name.
    public static func classify(literal host: String) -> Kind? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { classify(ipv4: Array($0)) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, bare, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { classify(ipv6: Array($0)) }
        }
        return nil
    }

    /// Resolves `host` and classifies every address it has; blocking, so call it off the event loops.
    public static func resolveAndClassify(host: String) -> [Kind] {
        resolve(host: host).map(\.kind)
    }

    /// Every address `host` resolves to (itself, when it is a literal), as text, with its kind; blocking, so call it
    /// off the event loops. A connection made to one of these, not to the name, cannot be steered elsewhere by a
    /// second lookup.
    public static func resolve(host: String) -> [(address: String, kind: Kind)] {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let literal = classify(literal: bare) { return [(bare, literal)] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(bare, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var found: [(address: String, kind: Kind)] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    var bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    let kind = withUnsafeBytes(of: bytes) { classify(ipv4: Array($0)) }
                    found.append((text(family: AF_INET, &bytes, length: INET_ADDRSTRLEN), kind))
                case AF_INET6:
                    var bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    let kind = withUnsafeBytes(of: bytes) { classify(ipv6: Array($0)) }
                    found.append((text(family: AF_INET6, &bytes, length: INET6_ADDRSTRLEN), kind))
                default:
                    found.append(("", .restricted))
                }
            }
            cursor = entry.pointee.ai_next
        }
        return found
    }

    private static func text<Address>(family: Int32, _ address: inout Address, length: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(length))
        guard inet_ntop(family, &address, &buffer, socklen_t(length)) != nil else { return "" }
        return String(cString: buffer)
    }
}
