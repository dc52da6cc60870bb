// PIM bank GEMV unit: LANES multipliers fed by one COMP beat, a registered binary adder tree
// and an accumulator; the beat flagged `in_last` (the READRES of a fused COMPS_READRES) emits
// acc + tree sum on `res` with `res_valid` for one cycle and clears the accumulator.
//
// FP16 = 0: int8 x int8 -> int32 (operands in bits [7:0] of each 16-bit lane; wrapping).
// FP16 = 1: fp16 x fp16 -> exact fp32 products; fp32 adds with round-to-nearest-even.
//           IEEE subnormals handled (no flush); any NaN result is 0x7FC00000.
// Golden model and timing: sim/models/npu_pim/arith.py (latency = (n-1)*spacing + LEVELS + 2).
module pim_gemv #(
    parameter int LANES = 16,
    parameter int FP16  = 1
) (
    input  logic                clk,
    input  logic                rst_n,
    input  logic                in_valid,
    input  logic                in_last,
    input  logic [16*LANES-1:0] a_bus,
    input  logic [16*LANES-1:0] b_bus,
    output logic                res_valid,
    output logic [31:0]         res
);
  localparam int LEVELS = $clog2(LANES);
  localparam logic [31:0] QNAN = 32'h7FC00000;

  // ---------------------------------------------------------------- fp16 x fp16 -> fp32, exact
  function automatic logic [31:0] fmul16(input logic [15:0] a, input logic [15:0] b);
    logic sa, sb, s;
    logic [4:0] ea, eb;
    logic [9:0] fa, fb;
    logic [10:0] ma, mb;
    logic [21:0] m;
    logic [45:0] t;
    int e, p;
    logic a_nan, b_nan, a_inf, b_inf, a_zero, b_zero;
    {sa, ea, fa} = a;
    {sb, eb, fb} = b;
    s = sa ^ sb;
    a_nan = (ea == 5'd31) && (fa != 0);
    b_nan = (eb == 5'd31) && (fb != 0);
    a_inf = (ea == 5'd31) && (fa == 0);
    b_inf = (eb == 5'd31) && (fb == 0);
    a_zero = (ea == 0) && (fa == 0);
    b_zero = (eb == 0) && (fb == 0);
    if (a_nan || b_nan || (a_inf && b_zero) || (b_inf && a_zero)) fmul16 = QNAN;
    else if (a_inf || b_inf) fmul16 = {s, 8'hFF, 23'd0};
    else if (a_zero || b_zero) fmul16 = {s, 31'd0};
    else begin
      ma = {ea != 0, fa};
      mb = {eb != 0, fb};
      m = ma * mb;                                      // value = m * 2^e
      e = ((ea == 0) ? 1 : int'(ea)) + ((eb == 0) ? 1 : int'(eb)) - 50;
      p = 0;
      for (int i = 0; i < 22; i++) if (m[i]) p = i;     // leading one
      t = {24'd0, m} << (23 - p);
      fmul16 = {s, 8'(p + e + 127), t[22:0]};
    end
  endfunction

  // ---------------------------------------------------------------- fp32 add, RNE
  function automatic logic [31:0] fadd(input logic [31:0] x, input logic [31:0] y);
    logic sx, sy, ts;
    logic [7:0] ex, ey;
    logic [22:0] fx, fy;
    logic [23:0] mx, my, tm;
    int exx, eyy, te, d, e, h, sh;
    logic [26:0] xe, ye, ymask;
    logic [27:0] sum;
    logic st;
    logic [24:0] mant;
    {sx, ex, fx} = x;
    {sy, ey, fy} = y;
    if ((ex == 8'hFF && fx != 0) || (ey == 8'hFF && fy != 0)) fadd = QNAN;
    else if (ex == 8'hFF && ey == 8'hFF) fadd = (sx == sy) ? x : QNAN;
    else if (ex == 8'hFF) fadd = x;
    else if (ey == 8'hFF) fadd = y;
    else begin
      mx = {ex != 0, fx};
      my = {ey != 0, fy};
      exx = (ex == 0) ? 1 : int'(ex);
      eyy = (ey == 0) ? 1 : int'(ey);
      if ({ey, fy} > {ex, fx}) begin                    // |x| >= |y| from here on
        ts = sx; sx = sy; sy = ts;
        tm = mx; mx = my; my = tm;
        te = exx; exx = eyy; eyy = te;
      end
      d = exx - eyy;
      xe = {mx, 3'b000};
      if (d >= 27) begin
        ye = 27'd0;
        st = (my != 0);
      end else begin
        ye = {my, 3'b000} >> d;
        ymask = (27'd1 << d) - 27'd1;
        st = |({my, 3'b000} & ymask);
      end
      ye[0] = ye[0] | st;
      sum = (sx == sy) ? ({1'b0, xe} + {1'b0, ye}) : ({1'b0, xe} - {1'b0, ye});
      if (sum == 0) fadd = {(sx == sy) ? sx : 1'b0, 31'd0};
      else begin
        e = exx;
        if (sum[27]) begin
          sum = {1'b0, sum[27:1]} | {27'd0, sum[0]};
          e = e + 1;
        end else begin
          h = 0;
          for (int i = 0; i < 27; i++) if (sum[i]) h = i;
          sh = 26 - h;
          if (sh > e - 1) sh = e - 1;
          sum = sum << sh;
          e = e - sh;
        end
        mant = {1'b0, sum[26:3]};
        if (sum[2] && (sum[1] || sum[0] || mant[0])) mant = mant + 25'd1;
        if (mant[24]) begin
          mant = mant >> 1;
          e = e + 1;
        end
        if (!mant[23]) e = 0;                             // subnormal result
        if (e >= 255) fadd = {sx, 8'hFF, 23'd0};
        else fadd = {sx, 8'(e), mant[22:0]};
      end
    end
  endfunction

  function automatic logic [31:0] mul(input logic [15:0] a, input logic [15:0] b);
    logic signed [15:0] p;
    if (FP16 != 0) mul = fmul16(a, b);
    else begin
      p = $signed(a[7:0]) * $signed(b[7:0]);
      mul = {{16{p[15]}}, p};
    end
  endfunction

  function automatic logic [31:0] add(input logic [31:0] x, input logic [31:0] y);
    if (FP16 != 0) add = fadd(x, y);
    else add = x + y;
  endfunction

  // ---------------------------------------------------------------- pipeline
  logic [31:0] lvl [0:LEVELS][0:LANES-1];
  logic [LEVELS:0] v, l;
  logic [31:0] acc;

  always_ff @(posedge clk) begin
    for (int i = 0; i < LANES; i++) lvl[0][i] <= mul(a_bus[16*i +: 16], b_bus[16*i +: 16]);
    for (int k = 1; k <= LEVELS; k++)
      for (int i = 0; i < LANES / 2; i++)
        if (i < (LANES >> k)) lvl[k][i] <= add(lvl[k-1][2*i], lvl[k-1][2*i+1]);
    if (!rst_n) begin
      v <= '0;
      l <= '0;
      acc <= '0;
      res_valid <= 1'b0;
      res <= '0;
    end else begin
      v <= {v[LEVELS-1:0], in_valid};
      l <= {l[LEVELS-1:0], in_valid & in_last};
      res_valid <= v[LEVELS] & l[LEVELS];
      if (v[LEVELS]) begin
        if (l[LEVELS]) begin
          res <= add(acc, lvl[LEVELS][0]);
          acc <= '0;
        end else begin
          acc <= add(acc, lvl[LEVELS][0]);
        end
      end
    end
  end
endmodule
