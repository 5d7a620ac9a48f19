import Testing
import WasmcModule
import WasmcValidation

/// The fixed-width SIMD instructions of WebAssembly 2.0.
@Suite("SIMD validation")
struct SIMDValidationTests {
    @Test func operatorShapes() {
        expectValid(
            """
            (module (memory 1) (func (param v128 i32 i64 f32 f64)
              (drop (i8x16.splat (local.get 1)))
              (drop (i64x2.splat (local.get 2)))
              (drop (f32x4.splat (local.get 3)))
              (drop (f64x2.splat (local.get 4)))
              (drop (i16x8.add (local.get 0) (local.get 0)))
              (drop (f32x4.sqrt (local.get 0)))
              (drop (v128.bitselect (local.get 0) (local.get 0) (local.get 0)))
              (drop (i32x4.all_true (local.get 0)))
              (drop (v128.any_true (local.get 0)))
              (drop (i8x16.bitmask (local.get 0)))
              (drop (i64x2.shr_s (local.get 0) (local.get 1)))
              (drop (i32x4.trunc_sat_f64x2_s_zero (local.get 0)))
              (drop (i16x8.extmul_low_i8x16_u (local.get 0) (local.get 0)))
              (drop (i8x16.swizzle (local.get 0) (local.get 0)))
              (drop (v128.load8x8_s (i32.const 0)))
              (drop (v128.load32_zero (i32.const 0)))
              (drop (v128.load64_splat align=8 (i32.const 0)))
              (v128.store (i32.const 0) (local.get 0))))
            """)
        expectInvalid("(module (func (drop (i8x16.splat (i64.const 0)))))", "type mismatch")
        expectInvalid("(module (func (drop (f64x2.splat (f32.const 0)))))", "type mismatch")
        expectInvalid("(module (func (param v128) (drop (i8x16.shl (local.get 0) (i64.const 1)))))", "type mismatch")
        expectInvalid("(module (func (param v128) (result v128) (i32x4.all_true (local.get 0))))", "type mismatch")
        expectInvalid("(module (func (param i32) (drop (i32x4.add (local.get 0) (local.get 0)))))", "type mismatch")
    }

    @Test func laneIndices() {
        expectValid(
            """
            (module (func (param v128) (result i32)
              (drop (i8x16.replace_lane 15 (local.get 0) (i32.const 1)))
              (drop (f64x2.extract_lane 1 (local.get 0)))
              (drop (i64x2.replace_lane 1 (local.get 0) (i64.const 1)))
              (drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31 (local.get 0) (local.get 0)))
              (i8x16.extract_lane_s 15 (local.get 0))))
            """)
        // i8x16.extract_lane_s 16, i16x8.replace_lane 8, i64x2.extract_lane 2 — the text parser may
        // refuse out-of-range lanes, so these are binary.
        let v128Param: [[UInt8]] = [[0x60, 0x01, 0x7B, 0x00]]
        expectInvalid(
            bytes: Binary.module(types: v128Param, bodies: [[0x20, 0x00, 0xFD, 0x15, 0x10, 0x1A, 0x0B]]),
            "invalid lane index")
        expectInvalid(
            bytes: Binary.module(types: v128Param, bodies: [[0x20, 0x00, 0x41, 0x00, 0xFD, 0x1A, 0x08, 0x1A, 0x0B]]),
            "invalid lane index")
        expectInvalid(
            bytes: Binary.module(types: v128Param, bodies: [[0x20, 0x00, 0xFD, 0x1D, 0x02, 0x1A, 0x0B]]),
            "invalid lane index")
        // i8x16.shuffle with lane 32
        let shuffle: [UInt8] = [0x20, 0x00, 0x20, 0x00, 0xFD, 0x0D] + [UInt8](repeating: 0, count: 15) + [32, 0x1A, 0x0B]
        expectInvalid(bytes: Binary.module(types: v128Param, bodies: [shuffle]), "invalid lane index")
        expectInvalid("(module (func (param v128) (drop (f32x4.replace_lane 0 (local.get 0) (f64.const 1)))))", "type mismatch")
    }

    @Test func memoryLaneInstructions() {
        expectValid(
            """
            (module (memory 1) (func (param v128)
              (drop (v128.load8_lane 15 (i32.const 0) (local.get 0)))
              (drop (v128.load64_lane align=8 1 (i32.const 0) (local.get 0)))
              (v128.store32_lane 3 (i32.const 0) (local.get 0))))
            """)
        expectInvalid(
            "(module (memory 1) (func (param v128) (drop (v128.load16_lane align=4 0 (i32.const 0) (local.get 0)))))",
            "alignment must not be larger than natural")
        expectInvalid(
            "(module (func (param v128) (v128.store8_lane 0 (i32.const 0) (local.get 0))))", "unknown memory 0")
        // v128.load32_lane lane 4; v128.store64_lane lane 2
        let v128Param: [[UInt8]] = [[0x60, 0x01, 0x7B, 0x00]]
        let load: [UInt8] = [0x41, 0x00, 0x20, 0x00, 0xFD, 0x56, 0x02, 0x00, 0x04, 0x1A, 0x0B]
        expectInvalid(bytes: Binary.module(types: v128Param, sections: [Binary.memory()], bodies: [load]), "invalid lane index")
        let store: [UInt8] = [0x41, 0x00, 0x20, 0x00, 0xFD, 0x5B, 0x03, 0x00, 0x02, 0x0B]
        expectInvalid(bytes: Binary.module(types: v128Param, sections: [Binary.memory()], bodies: [store]), "invalid lane index")
    }

    @Test func vectorMemoryAlignment() {
        expectValid("(module (memory 1) (func (drop (v128.load align=16 (i32.const 0)))))")
        expectInvalid("(module (memory 1) (func (drop (v128.load align=32 (i32.const 0)))))", "alignment must not be larger than natural")
        expectInvalid(
            "(module (memory 1) (func (drop (v128.load8_splat align=2 (i32.const 0)))))", "alignment must not be larger than natural")
        expectInvalid(
            "(module (memory 1) (func (drop (v128.load16x4_u align=16 (i32.const 0)))))", "alignment must not be larger than natural")
    }

    @Test func relaxedSIMDIsWebAssembly3() {
        // i8x16.relaxed_swizzle (0xFD 0x100): valid in 3.0, refused under 2.0's rules.
        let v128Param: [[UInt8]] = [[0x60, 0x01, 0x7B, 0x00]]
        let body: [UInt8] = [0x20, 0x00, 0x20, 0x00, 0xFD, 0x80, 0x02, 0x1A, 0x0B]
        expectValid(bytes: Binary.module(types: v128Param, bodies: [body]))
        let error = expectInvalid(bytes: Binary.module(types: v128Param, bodies: [body]), "i8x16RelaxedSwizzle", kind: .unsupported, features: .wasm2)
        #expect(error?.proposal == .relaxedSIMD)
        // i32x4.relaxed_dot_i8x16_i7x16_add_s (0xFD 0x113) takes three vectors.
        let ternary: [UInt8] = [0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0xFD, 0x93, 0x02, 0x1A, 0x0B]
        expectValid(bytes: Binary.module(types: v128Param, bodies: [ternary]))
        let twoOperands: [UInt8] = [0x20, 0x00, 0x20, 0x00, 0xFD, 0x93, 0x02, 0x1A, 0x0B]
        expectInvalid(bytes: Binary.module(types: v128Param, bodies: [twoOperands]), "type mismatch")
    }

    @Test func vectorsInSelectAndGlobals() {
        expectValid(
            "(module (global (mut v128) (v128.const i32x4 0 0 0 0)) (func (global.set 0 (select (global.get 0) (global.get 0) (i32.const 1)))))")
        expectInvalid("(module (func (param v128 i32) (drop (select (local.get 0) (local.get 1) (i32.const 1)))))", "type mismatch")
    }
}
