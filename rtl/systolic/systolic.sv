// Systolic GEMM fold engine: DATAFLOW selects the weight-stationary ("WS"), input-stationary
// ("IS") or output-stationary ("OS") array. All share one port list; see systolic_ws.sv /
// systolic_os.sv for the buffers and the cycle contract (one fold = 2*ROWS + COLS + t_len - 2
// edges from start sampled to done high). OVERLAP_DRAIN = 1 gives the OS array shadow
// accumulators (see systolic_os.sv); `draining` is high while they shift out (always 0 for WS/IS).
//
// IS is the WS datapath holding the other operand: for C = A @ B the stationary buffer (b port)
// holds an A^T tile (K rows x M columns), the streamed buffer (a port) carries B^T one N per
// beat (K values), and the result buffer returns C^T (one N per row, M columns); partial sums
// over K folds come back through the p port as in WS. The PE array, skew and timing are the
// same hardware, so only the operand routing outside the array differs.
module systolic #(
    parameter string DATAFLOW = "WS",
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
    input  logic                 p_we,
    input  logic [AW-1:0]        p_addr,
    input  logic [COLS*32-1:0]   p_data,
    input  logic [AW-1:0]        c_rd_addr,
    output logic [COLS*32-1:0]   c_rd_data
);
  generate
    if (DATAFLOW == "WS" || DATAFLOW == "IS") begin : g_ws
      systolic_ws #(.ROWS(ROWS), .COLS(COLS), .T_MAX(T_MAX), .AW(AW)) u_array (.*);
      assign draining = 1'b0;
    end else if (DATAFLOW == "OS") begin : g_os
      systolic_os #(.ROWS(ROWS), .COLS(COLS), .T_MAX(T_MAX), .OVERLAP_DRAIN(OVERLAP_DRAIN),
                    .AW(AW)) u_array (.*);
    end else begin : g_bad
      $error("systolic: DATAFLOW must be \"WS\", \"IS\" or \"OS\"");
    end
  endgenerate
endmodule
