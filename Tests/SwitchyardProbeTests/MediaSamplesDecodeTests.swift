import Foundation
import SwitchyardCore
import Testing

/// The PNG, WAV and MP4 made in code (`MediaSamples`, what the simulator answers and the
/// speech-to-text probe uploads) decode with decoders that are not ours: Python's
/// `zlib`/`struct` for the PNG, its `wave` module for the WAV.
@Suite(.timeLimit(.minutes(2))) struct MediaSamplesDecodeTests {
    @Test(arguments: [(1, 1), (64, 64), (300, 7)]) func thePNGDecodesToItsSizeAndPixels(size: (Int, Int)) throws {
        let png = MediaSamples.png(width: size.0, height: size.1)
        let script = """
        import sys, struct, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat, chunks = 8, b'', []
        while pos < len(data):
            n, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + n]
            assert struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body), kind
            chunks.append(kind.decode())
            if kind == b'IHDR': w, h, depth, colour = struct.unpack('>IIBB', body[:10])
            if kind == b'IDAT': idat += body
            pos += 12 + n
        raw = zlib.decompress(idat)
        assert len(raw) == h * (1 + 3 * w)
        print(w, h, depth, colour, ','.join(chunks), raw[1], raw[-2])
        """
        let out = try runPython(script, input: png)
        // One colour: the first pixel's red is 40, the last pixel's green 120.
        #expect(out == "\(size.0) \(size.1) 8 2 IHDR,IDAT,IEND 40 120")
    }

    @Test func aLargePNGSpansSeveralStoredBlocks() throws {
        let png = MediaSamples.png(width: 1024, height: 100)  // 307,300 raw bytes: five stored blocks
        let out = try runPython("""
        import sys, zlib, struct
        d = open(sys.argv[1], 'rb').read()
        n = struct.unpack('>I', d[33:37])[0]
        print(len(zlib.decompress(d[41:41 + n])))
        """, input: png)
        #expect(out == "\(100 * (1 + 3 * 1024))")
    }

    @Test func theWAVReadsBackAsMono16BitOfItsLength() throws {
        let wav = MediaSamples.wav(seconds: 1.5, sampleRate: 16_000, hertz: 440)
        let out = try runPython("""
        import sys, wave, struct
        w = wave.open(sys.argv[1], 'rb')
        frames = w.readframes(w.getnframes())
        samples = struct.unpack('<%dh' % w.getnframes(), frames)
        print(w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes(), max(samples) > 1000, min(samples) < -1000)
        """, input: wav)
        #expect(out == "1 2 16000 24000 True True")
    }

    @Test func silenceIsAllZeroSamples() {
        let wav = MediaSamples.wav(seconds: 0.1, sampleRate: 8_000, hertz: 0)
        #expect(wav.count == 44 + 1_600)
        #expect(wav.dropFirst(44).allSatisfy { $0 == 0 })
    }

    @Test func theMP4IsFileTypeThenMovieThenData() {
        let mp4 = MediaSamples.mp4()
        var types: [String] = [], offset = 0
        while offset + 8 <= mp4.count {
            let size = mp4[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            types.append(String(decoding: mp4[offset + 4..<offset + 8], as: UTF8.self))
            offset += max(size, 8)
        }
        #expect(types == ["ftyp", "moov", "mdat"] && offset == mp4.count)
    }
}

/// Runs `script` with `python3`, the bytes in a temporary file as its first argument; its trimmed stdout.
func runPython(_ script: String, input: [UInt8]) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-media-\(UUID().uuidString)")
    try Data(input).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, file.path]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return process.terminationStatus == 0 ? text : "python failed: " + String(decoding: err, as: UTF8.self)
}
