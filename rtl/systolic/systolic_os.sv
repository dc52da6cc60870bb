// Output-stationary R x C int8 systolic array: one fold of C[R, C] = A[R, T] @ B[T, C].
//
// Operand buffers are loaded through write ports before `start` (not part of the fold):
//   a_* : beat k (0..T_MAX-1), ROWS int8 lanes            (A[m0 + i][k])
//   b_* : beat k (0..T_MAX-1), COLS int8 lanes            (B[k][n0 + j])
//   p_* : unused by OS (every PE owns a complete output; present for a uniform port list)
// Results are read from the output buffer through c_rd_addr -> c_rd_data (row i, COLS int32 lanes).
// Lane x of a packed bus is bits [x*W +: W].
//
// Cycle contract (sim.hw.systolic): `cyc` counts rising edges after the edge E0 at which `start`
// is sampled high (cyc = 0 in the cycle right after E0). E0 clears every accumulator.
//   stream  cyc in [0, T+R+C-3]        beat k of A row i enters at cyc k+i, beat k of B column j
//                                      at cyc k+j (skew); PE(i,j) does its MAC of beat k at
//                                      cyc k+i+j, so the last MAC is at cyc T+R+C-3
//   drain   cyc in [T+R+C-2, 2R+C+T-3] accumulators shift down one row per edge; the bottom row
//                                      is written to the output buffer (R cycles)
//   `done` rises at the edge ending cyc 2R+C+T-3, i.e. exactly 2R+C+T-2 edges after E0; it stays
//   high until the next start. All arithmetic wraps at 32 bits.
//
// OVERLAP_DRAIN = 1 adds a shadow accumulator per PE: at the edge ending the last MAC (cyc
// T+R+C-3) every PE copies its final sum into its shadow register and the fold is done
// (R+C+T-2 edges after E0; `draining` rises). The shadow chain then shifts out one row per edge
// into the output buffer (R edges, `draining` high) while the array is free: a new fold may start
// during the drain. Its own shadow copy comes R+C+T-2 >= R edges after its start, so it never
// meets the previous drain. A GEMM of F folds takes F (R+C+T-2) + R edges.
module systolic_os #(
    parameter int ROWS = 4,
    parameter int COLS = 4,
    parameter int T_MAX = 64,
    parameter bit OVERLAP_DRAIN = 1'b0,
    parameter int AW = $clog2(T_MAX)
) (
    input  logic                 clk,
    input  logic                 rst,
    input  logic                 start,
    input  logic [15:0]          t_len,
    output logic                 done,
    output logic                 busy,
    output logic                 draining,
    input  logic                 a_we,
    input  logic [AW-1:0]        a_addr,
    input  logic [ROWS*8-1:0]    a_data,
    input  logic                 b_we,
    input  logic [AW-1:0]        b_addr,
    input  logic [COLS*8-1:0]    b_data,
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic                 p_we,
    input  logic [AW-1:0]        p_addr,
    input  logic [COLS*32-1:0]   p_data,
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic [AW-1:0]        c_rd_addr,
    output logic [COLS*32-1:0]   c_rd_data
);
  localparam int RW = (ROWS > 1) ? $clog2(ROWS) : 1;  // output-row address bits (T_MAX >= ROWS)

  logic [ROWS*8-1:0]  a_mem[T_MAX];
  logic [COLS*8-1:0]  b_mem[T_MAX];
  logic [COLS*32-1:0] c_mem[ROWS];

  logic [31:0] cyc;
  logic [31:0] t_reg;
  logic        stream;

  // PE state: forwarded operands and the stationary accumulator.
  logic signed [7:0]  a_reg[ROWS][COLS];
  logic signed [7:0]  b_reg[ROWS][COLS];
  logic        [31:0] acc[ROWS][COLS];

  logic signed [7:0]  a_feed[ROWS];
  logic signed [7:0]  b_feed[COLS];
  logic signed [7:0]  a_in[ROWS][COLS];
  logic signed [7:0]  b_in[ROWS][COLS];
  logic        [31:0] mac[ROWS][COLS];

  localparam int DONE_AT = OVERLAP_DRAIN ? ROWS + COLS - 3 : 2 * ROWS + COLS - 3;

  // One write port into the output buffer: the serial drain (from the array's bottom row) or
  // the shadow drain (from the shadow chain's bottom row).
  logic               dr_we;
  logic [31:0]        dr_row;
  logic [COLS*32-1:0] dr_data;

  assign stream = busy && (cyc < t_reg + 32'(ROWS + COLS - 2));

  always_ff @(posedge clk) begin
    if (dr_we) c_mem[dr_row[RW-1:0]] <= dr_data;
  end

  always_ff @(posedge clk) begin
    if (a_we) a_mem[a_addr] <= a_data;
    if (b_we) b_mem[b_addr] <= b_data;
  end

  // Skewed edge feeds: row i sees beat k = cyc - i, column j sees beat k = cyc - j.
  always_comb begin
    for (int i = 0; i < ROWS; i++) begin
      automatic int k = int'(cyc) - i;
      a_feed[i] = 8'sd0;
      if (stream && k >= 0 && k < int'(t_reg)) a_feed[i] = a_mem[k][i*8+:8];
    end
    for (int j = 0; j < COLS; j++) begin
      automatic int k = int'(cyc) - j;
      b_feed[j] = 8'sd0;
      if (stream && k >= 0 && k < int'(t_reg)) b_feed[j] = b_mem[k][j*8+:8];
    end
  end

  // PE datapath: acc + a * b (int8 x int8 -> int32, wrapping).
  always_comb begin
    for (int i = 0; i < ROWS; i++) begin
      for (int j = 0; j < COLS; j++) begin
        logic signed [15:0] prod;
        a_in[i][j] = (j == 0) ? a_feed[i] : a_reg[i][j-1];
        b_in[i][j] = (i == 0) ? b_feed[j] : b_reg[i-1][j];
        prod = a_in[i][j] * b_in[i][j];
        mac[i][j] = acc[i][j] + {{16{prod[15]}}, prod};
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
          a_reg[i][j] <= '0;
          b_reg[i][j] <= '0;
          acc[i][j] <= '0;
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
          b_reg[i][j] <= '0;
          acc[i][j] <= '0;
        end
      end
    end else if (busy) begin
      cyc <= cyc + 32'd1;
      if (stream) begin
        for (int i = 0; i < ROWS; i++) begin
          for (int j = 0; j < COLS; j++) begin
            a_reg[i][j] <= a_in[i][j];
            b_reg[i][j] <= b_in[i][j];
            acc[i][j] <= mac[i][j];
          end
        end
      end else begin
        // Drain: drain edge d writes accumulator row R-1-d from the bottom of the array.
        for (int j = 0; j < COLS; j++) begin
          acc[0][j] <= '0;
          for (int i = 1; i < ROWS; i++) acc[i][j] <= acc[i-1][j];
        end
      end
      if (cyc == 32'(DONE_AT) + t_reg) begin
        busy <= 1'b0;
        done <= 1'b1;
      end
    end
  end

  generate
    if (OVERLAP_DRAIN) begin : g_shadow
      logic [31:0] sh[ROWS][COLS];
      logic [31:0] dcnt;
      always_ff @(posedge clk) begin
        if (rst) begin
          draining <= 1'b0;
          dcnt <= '0;
        end else if (busy && cyc == 32'(DONE_AT) + t_reg) begin
          draining <= 1'b1;
          dcnt <= '0;
          for (int i = 0; i < ROWS; i++)
            for (int j = 0; j < COLS; j++) sh[i][j] <= mac[i][j];
        end else if (draining) begin
          dcnt <= dcnt + 32'd1;
          if (dcnt == 32'(ROWS - 1)) draining <= 1'b0;
          for (int j = 0; j < COLS; j++) begin
            sh[0][j] <= '0;
            for (int i = 1; i < ROWS; i++) sh[i][j] <= sh[i-1][j];
          end
        end
      end
      always_comb begin
        dr_we = draining;
        dr_row = 32'(ROWS - 1) - dcnt;
        for (int j = 0; j < COLS; j++) dr_data[j*32+:32] = sh[ROWS-1][j];
      end
    end else begin : g_serial
      assign draining = 1'b0;
      always_comb begin
        dr_we = busy && !stream;
        dr_row = 32'(2 * ROWS + COLS - 3) + t_reg - cyc;  // drain edge d -> row R-1-d
        for (int j = 0; j < COLS; j++) dr_data[j*32+:32] = acc[ROWS-1][j];
      end
    end
  endgenerate

  assign c_rd_data = (32'(c_rd_addr) < 32'(ROWS)) ? c_mem[c_rd_addr[RW-1:0]] : '0;
endmodule
