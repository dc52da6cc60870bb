// Weight-stationary R x C int8 systolic array: one fold of C[T, C] = P[T, C] + A[T, R] @ W[R, C].
//
// Operand buffers are loaded through write ports before `start` (not part of the fold):
//   b_* : weight row r (0..ROWS-1), COLS int8 lanes        (W[r][j] = B[k0 + r][n0 + j])
//   a_* : A row t (0..T_MAX-1), ROWS int8 lanes           (A[t][k0 + i])
//   p_* : psum row t (0..T_MAX-1), COLS int32 lanes        (partial sums of earlier K folds)
// Results are read from the output buffer through c_rd_addr -> c_rd_data (row t, COLS int32 lanes).
// Lane x of a packed bus is bits [x*W +: W].
//
// Cycle contract (sim.hw.systolic): `cyc` counts rising edges after the edge E0 at which `start`
// is sampled high (cyc = 0 in the cycle right after E0).
//   preload  cyc in [0, R-1]            weights shift down one row per edge (R cycles)
//   stream   cyc in [R, 2R+C+T-3]       A row t enters PE row i at cyc R+t+i (skew), psums flow
//                                       down; PE(i,j) handles row t at cyc R+t+i+j; the bottom row
//                                       writes C[t][j] at the edge ending cyc 2R-1+t+j
//   `done` rises at the edge ending cyc 2R+C+T-3, i.e. exactly 2R+C+T-2 edges after E0; it stays
//   high until the next start. All arithmetic wraps at 32 bits.
module systolic_ws #(
    parameter int ROWS = 4,
    parameter int COLS = 4,
    parameter int T_MAX = 64,
    parameter int AW = $clog2(T_MAX)
) (
    input  logic                 clk,
    input  logic                 rst,
    input  logic                 start,
    input  logic [15:0]          t_len,
    output logic                 done,
    output logic                 busy,
    input  logic                 a_we,
    input  logic [AW-1:0]        a_addr,
    input  logic [ROWS*8-1:0]    a_data,
    input  logic                 b_we,
    input  logic [AW-1:0]        b_addr,
    input  logic [COLS*8-1:0]    b_data,
    input  logic                 p_we,
    input  logic [AW-1:0]        p_addr,
    input  logic [COLS*32-1:0]   p_data,
    input  logic [AW-1:0]        c_rd_addr,
    output logic [COLS*32-1:0]   c_rd_data
);
  localparam int RW = (ROWS > 1) ? $clog2(ROWS) : 1;  // weight-row address bits (T_MAX >= ROWS)

  logic [ROWS*8-1:0]  a_mem[T_MAX];
  logic [COLS*8-1:0]  w_mem[ROWS];
  logic [COLS*32-1:0] p_mem[T_MAX];
  logic [31:0]        c_mem[T_MAX][COLS];

  logic [31:0] cyc;
  logic [31:0] t_reg;
  logic        preload, stream;

  // PE state: stationary weight, forwarded activation, partial sum going down.
  logic signed [7:0]  w_reg[ROWS][COLS];
  logic signed [7:0]  a_reg[ROWS][COLS];
  logic        [31:0] p_reg[ROWS][COLS];

  // Combinational edge feeds and PE outputs.
  logic signed [7:0]  a_feed[ROWS];
  logic        [31:0] p_feed[COLS];
  logic signed [7:0]  a_in[ROWS][COLS];
  logic        [31:0] p_in[ROWS][COLS];
  logic        [31:0] sum[ROWS][COLS];

  assign preload = busy && (cyc < 32'(ROWS));
  assign stream = busy && (cyc >= 32'(ROWS));

  // Operand buffer writes.
  always_ff @(posedge clk) begin
    if (a_we) a_mem[a_addr] <= a_data;
    if (b_we && (32'(b_addr) < 32'(ROWS))) w_mem[b_addr[RW-1:0]] <= b_data;
    if (p_we) p_mem[p_addr] <= p_data;
  end

  // Skewed edge feeds: row i sees A row t = cyc - R - i; column j sees psum row t = cyc - R - j.
  always_comb begin
    for (int i = 0; i < ROWS; i++) begin
      automatic int t = int'(cyc) - ROWS - i;
      a_feed[i] = 8'sd0;
      if (stream && t >= 0 && t < int'(t_reg)) a_feed[i] = a_mem[t][i*8+:8];
    end
    for (int j = 0; j < COLS; j++) begin
      automatic int t = int'(cyc) - ROWS - j;
      p_feed[j] = 32'd0;
      if (stream && t >= 0 && t < int'(t_reg)) p_feed[j] = p_mem[t][j*32+:32];
    end
  end

  // PE datapath: sum = psum_in + a * w (int8 x int8 -> int32, wrapping).
  always_comb begin
    for (int i = 0; i < ROWS; i++) begin
      for (int j = 0; j < COLS; j++) begin
        logic signed [15:0] prod;
        a_in[i][j] = (j == 0) ? a_feed[i] : a_reg[i][j-1];
        p_in[i][j] = (i == 0) ? p_feed[j] : p_reg[i-1][j];
        prod = a_in[i][j] * w_reg[i][j];
        sum[i][j] = p_in[i][j] + {{16{prod[15]}}, prod};
      end
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      busy <= 1'b0;
      done <= 1'b0;
      cyc <= '0;
      t_reg <= '0;
      for (int i = 0; i < ROWS; i++) begin
        for (int j = 0; j < COLS; j++) begin
          w_reg[i][j] <= '0;
          a_reg[i][j] <= '0;
          p_reg[i][j] <= '0;
        end
      end
    end else if (start && !busy) begin
      busy <= 1'b1;
      done <= 1'b0;
      cyc <= '0;
      t_reg <= 32'(t_len);
      for (int i = 0; i < ROWS; i++) begin
        for (int j = 0; j < COLS; j++) begin
          a_reg[i][j] <= '0;
          p_reg[i][j] <= '0;
        end
      end
    end else if (busy) begin
      cyc <= cyc + 32'd1;
      if (preload) begin
        // Shift weights down; the row entering at the top in preload cycle c is W[R-1-c].
        for (int j = 0; j < COLS; j++) begin
          w_reg[0][j] <= w_mem[ROWS-1-int'(cyc)][j*8+:8];
          for (int i = 1; i < ROWS; i++) w_reg[i][j] <= w_reg[i-1][j];
        end
      end else begin
        for (int i = 0; i < ROWS; i++) begin
          for (int j = 0; j < COLS; j++) begin
            a_reg[i][j] <= a_in[i][j];
            p_reg[i][j] <= sum[i][j];
          end
        end
        // Bottom row: C[t][j] leaves PE(R-1, j) with t = cyc - 2R + 1 - j.
        for (int j = 0; j < COLS; j++) begin
          automatic int t = int'(cyc) - 2 * ROWS + 1 - j;
          if (t >= 0 && t < int'(t_reg)) c_mem[t][j] <= sum[ROWS-1][j];
        end
      end
      if (cyc == 32'(2 * ROWS + COLS - 3) + t_reg) begin
        busy <= 1'b0;
        done <= 1'b1;
      end
    end
  end

  always_comb begin
    for (int j = 0; j < COLS; j++) c_rd_data[j*32+:32] = c_mem[c_rd_addr][j];
  end
endmodule
